import { useMemo, useSyncExternalStore } from 'react';
import { searchClient } from '../searchClient';
import { createAlbumPages, type AlbumPages, type AlbumPagesSnapshot } from './albumPages';

/** An album's items as pages from the worker, and what has arrived so far (re-renders on each arrival). */
export function useAlbumPages(
  album: string,
  count: number,
): { pages: AlbumPages; snapshot: AlbumPagesSnapshot } {
  const pages = useMemo(
    () => createAlbumPages(count, (start, n) => searchClient.albumItems(album, start, n)),
    [album, count],
  );
  const snapshot = useSyncExternalStore(pages.subscribe, pages.getSnapshot);
  return { pages, snapshot };
}
