import type { DataSource } from '../core/dataSource';
import type { CellStore } from '../core/shardedReader';
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

export async function openCachedDataSource(
  network: DataSource,
  cache: DataCache,
  scope: string,
): Promise<CachedDataSource> {
  let networkBytes = 0;
  // Listed once: a query then never waits on IndexedDB for a part that is not there (most cells).
  const stored = await cache.partNames(scope);
  const through = async (name: string, fresh: boolean | undefined, load: () => Promise<Uint8Array>) => {
    if (fresh !== true && stored.has(name)) {
      const bytes = await cache.readPart(scope, name);
      if (bytes !== undefined) return bytes;
      stored.delete(name);
    }
    const bytes = await load();
    networkBytes += bytes.length;
    stored.add(name);
    // Stored in the background: the caller has what it needs.
    setTimeout(() => void cache.writePart(scope, name, bytes).catch(() => stored.delete(name)), 0);
    return bytes;
  };
  return {
    get networkBytes() {
      return networkBytes;
    },
    file: (path, fresh) => through(`file:${path}`, fresh, () => network.file(path, fresh)),
    async range(path, start, end, fresh) {
      // Only the head (the range from 0) is kept whole; cells are stored one by one via cellStore.
      if (start === 0)
        return through(`range:${path}:${end}`, fresh, () => network.range(path, start, end, fresh));
      const bytes = await network.range(path, start, end, fresh);
      networkBytes += bytes.length;
      return bytes;
    },
    cellStore: {
      async getMany(keys) {
        const known = keys.filter((k) => stored.has(k));
        if (known.length === 0) return keys.map(() => undefined);
        const found = new Map<string, Uint8Array | undefined>();
        (await cache.readParts(scope, known)).forEach((bytes, i) => found.set(known[i], bytes));
        return keys.map((k) => found.get(k));
      },
      async setMany(entries) {
        for (const [k] of entries) stored.add(k);
        await cache.writeParts(scope, entries);
      },
      async delete(key) {
        stored.delete(key);
        await cache.deletePart(scope, key);
      },
    },
  };
}
