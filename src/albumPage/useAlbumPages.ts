import { useMemo, useSyncExternalStore } from 'react';
import { searchClient } from '../searchClient';
import { createAlbumPages, type AlbumPages, type AlbumPagesSnapshot } from './albumPages';

/**
 * The `count` items of an album from position `start` as pages from the worker, and what has arrived
 * so far (re-renders on each arrival). Positions handed to the pages are relative to `start`.
 */
export function useAlbumPages(
  album: string,
  start: number,
  count: number,
): { pages: AlbumPages; snapshot: AlbumPagesSnapshot } {
  const pages = useMemo(
    () => createAlbumPages(count, (from, n) => searchClient.albumItems(album, start + from, n)),
    [album, start, count],
  );
  // The third argument lets the page render outside a browser (the render tests): nothing has arrived.
  const snapshot = useSyncExternalStore(pages.subscribe, pages.getSnapshot, pages.getSnapshot);
  return { pages, snapshot };
}
