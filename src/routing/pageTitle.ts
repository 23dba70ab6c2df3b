import { printable } from '../../core/printableText';
import type { AlbumNamer } from '../catalog/albumNames';
import type { Route } from './route';

/** Document title per page, so tabs, history and bookmarks say what they hold. */
export function pageTitle(
  route: Route,
  itemName: (id: string) => string | undefined,
  albumName: AlbumNamer = printable,
): string {
  switch (route.page) {
    case 'home':
      return 'Lookalike';
    case 'album':
      return route.part !== undefined && route.part > 1
        ? `${albumName(route.album)}, part ${route.part} · Lookalike`
        : `${albumName(route.album)} · Lookalike`;
    case 'search':
      if (route.query.kind === 'upload') return 'Your image · Lookalike';
      return `Like ${printable(itemName(route.query.id) ?? route.query.id)} · Lookalike`;
    case 'duplicates':
      return 'Duplicates · Lookalike';
    case 'notFound':
      return 'Not found · Lookalike';
  }
}
