import type { CellStore, DataSource } from '../core/shardedCollection';
import type { DataCache } from './dataCache';

/**
 * The network DataSource of a sharded build with IndexedDB behind it, so browsing and searching
 * what was seen before works offline. Files (catalog index and shards) and the index head are kept
 * whole; cells go through the CellStore. Names are scoped by the build's index sha256, and the
 * reader verifies every part it gets (a failed one is asked for again with `fresh`).
 */
export interface CachedDataSource extends DataSource {
  readonly cellStore: CellStore;
  /** Bytes that came from the network so far (cache hits cost nothing). */
  readonly networkBytes: number;
}

export function cachedDataSource(network: DataSource, cache: DataCache, scope: string): CachedDataSource {
  let networkBytes = 0;
  const through = async (name: string, fresh: boolean | undefined, load: () => Promise<Uint8Array>) => {
    if (fresh !== true) {
      const stored = await cache.readPart(scope, name);
      if (stored !== undefined) return stored;
    }
    const bytes = await load();
    networkBytes += bytes.length;
    await cache.writePart(scope, name, bytes);
    return bytes;
  };
  return {
    get networkBytes() {
      return networkBytes;
    },
    file: (path, fresh) => through(`file:${path}`, fresh, () => network.file(path)),
    async range(path, start, end, fresh) {
      // Only the head (the range from 0) is kept whole; cells are stored one by one via cellStore.
      if (start === 0) return through(`range:${path}:${end}`, fresh, () => network.range(path, start, end));
      const bytes = await network.range(path, start, end);
      networkBytes += bytes.length;
      return bytes;
    },
    cellStore: {
      get: (key) => cache.readPart(scope, key),
      set: (key, bytes) => cache.writePart(scope, key, bytes),
      delete: (key) => cache.deletePart(scope, key),
    },
  };
}
