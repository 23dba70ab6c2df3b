import type { CatalogItem } from '../../core/catalog';
import { errorMessage } from '../../core/errorMessage';

/**
 * Items per request: the builder's catalog shard size (index-builder/shardedCatalog.ts), so one page
 * touches at most two shards of a sharded collection.
 */
export const ALBUM_PAGE_SIZE = 128;
/** Pages kept per album (8k items): far more than a screen, far less than a million-image album. */
export const MAX_ALBUM_PAGES = 64;

/** Items start ..< start + count of the album (the worker's albumItems). */
export type FetchItems = (start: number, count: number) => Promise<CatalogItem[]>;

/** What the grid renders from; a new object whenever a page arrives or fails. */
export interface AlbumPagesSnapshot {
  /** The item at a position of the album, or undefined while its page is not loaded. */
  itemAt: (index: number) => CatalogItem | undefined;
  /** Why a page could not be loaded, or null. */
  error: string | null;
}

/** An album's items, fetched a page at a time as the grid shows them (a store for useSyncExternalStore). */
export interface AlbumPages {
  /** Loads the pages holding positions first..last unless they are loaded, on their way or failed. */
  request: (first: number, last: number) => void;
  /** Loads the pages that failed again. */
  retry: () => void;
  subscribe: (listener: () => void) => () => void;
  getSnapshot: () => AlbumPagesSnapshot;
}

export function createAlbumPages(
  count: number,
  fetchItems: FetchItems,
  maxPages = MAX_ALBUM_PAGES,
  pageSize = ALBUM_PAGE_SIZE,
): AlbumPages {
  // Insertion order is recency: requesting a loaded page moves it to the end, eviction takes the front.
  const pages = new Map<number, readonly CatalogItem[]>();
  const loading = new Set<number>();
  const failed = new Map<number, string>();
  const listeners = new Set<() => void>();

  const makeSnapshot = (): AlbumPagesSnapshot => {
    const loaded = new Map(pages);
    const errors = [...failed.values()];
    return {
      itemAt: (index) => loaded.get(Math.floor(index / pageSize))?.[index % pageSize],
      error: errors.length > 0 ? errors[errors.length - 1] : null,
    };
  };
  let snapshot = makeSnapshot();
  const publish = () => {
    snapshot = makeSnapshot();
    for (const listener of listeners) listener();
  };

  const load = (page: number) => {
    loading.add(page);
    const start = page * pageSize;
    fetchItems(start, Math.min(pageSize, count - start)).then(
      (items) => {
        loading.delete(page);
        pages.set(page, items);
        while (pages.size > maxPages) pages.delete(pages.keys().next().value as number);
        publish();
      },
      (error: unknown) => {
        loading.delete(page);
        failed.set(page, errorMessage(error));
        publish();
      },
    );
  };

  return {
    request(first, last) {
      const from = Math.max(0, Math.floor(first / pageSize));
      const to = Math.min(Math.ceil(count / pageSize) - 1, Math.floor(last / pageSize));
      for (let page = from; page <= to; page++) {
        const items = pages.get(page);
        if (items) {
          pages.delete(page);
          pages.set(page, items);
        } else if (!loading.has(page) && !failed.has(page)) {
          load(page);
        }
      }
    },
    retry() {
      const again = [...failed.keys()];
      failed.clear();
      publish();
      again.forEach(load);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
  };
}
