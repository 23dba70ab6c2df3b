import { printable } from '../../core/printableText';
import type { AlbumNamer } from '../catalog/albumNames';
import type { Route } from './route';

/** What the title needs to know of the collection; each part is absent until it is known. */
export interface TitleFacts {
  /** The searched image's name, null when the collection has no such image. */
  itemName?: string | null;
  /** Whether the collection has an album of that name. */
  hasAlbum?: (album: string) => boolean;
  albumName?: AlbumNamer;
}

/** Document title per page, so tabs, history and bookmarks say what they hold. */
export function pageTitle(route: Route, facts: TitleFacts = {}): string {
  const albumName = facts.albumName ?? printable;
  switch (route.page) {
    case 'home':
      return 'Lookalike';
    case 'album':
      // The title says what the page says: a bookmark of a removed album is not named like the album.
      if (facts.hasAlbum?.(route.album) === false) return 'Album not found · Lookalike';
      return route.part !== undefined && route.part > 1
        ? `${albumName(route.album)}, part ${route.part} · Lookalike`
        : `${albumName(route.album)} · Lookalike`;
    case 'search':
      if (route.query.kind === 'upload') return 'Your image · Lookalike';
      if (facts.itemName === null) return 'Image not found · Lookalike';
      return `Like ${printable(facts.itemName ?? route.query.id)} · Lookalike`;
    case 'duplicates':
      return 'Duplicates · Lookalike';
    case 'notFound':
      return 'Not found · Lookalike';
  }
}
