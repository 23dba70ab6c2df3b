import { createContext, useContext } from 'react';
import { printable, printableDistinct } from '../../core/printableText';

/**
 * How the page writes an album's name: printable(), and for two albums whose names differ only in
 * Unicode normalisation ("Café" with é and with e + U+0301) the spelling printableDistinct gives them,
 * on every page that names an album (headings, breadcrumbs, result cards, titles), not only the list.
 */
export type AlbumNamer = (album: string) => string;

export function albumNamer(albums: readonly { name: string }[]): AlbumNamer {
  const shown = printableDistinct(albums.map((a) => a.name));
  return (album) => shown.get(album) ?? printable(album);
}

/** The collection's namer, provided by the app once the collection has loaded. */
export const AlbumNames = createContext<AlbumNamer>(printable);

export function useAlbumName(): AlbumNamer {
  return useContext(AlbumNames);
}
