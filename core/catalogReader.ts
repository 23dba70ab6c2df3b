import type { CatalogItem } from './catalog';
import { ALWAYS_IDLE, type WhenIdle } from './collection';
import {
  catalogShardPaths,
  idShardPath,
  idShardPrefix,
  idShardPrefixes,
  itemShardCount,
  itemShardPath,
  parseCatalogIndex,
  parseIdShard,
  parseItemShard,
  parsePositions,
  positionsPath,
  type CatalogIndex,
  type CatalogLayout,
  type ShardedAlbum,
  type ShardedItem,
} from './catalogShards';
import { crc32 } from './crc32';
import type { DataSource } from './dataSource';
import type { FileRef } from './manifest';
import { readVerified, withPath, type ReadCounter } from './verifiedRead';

/**
 * Shards a sharded (million-image) catalog keeps in memory. A resident build keeps every shard it has
 * read, as it used to keep its whole catalog: its album-image queries look up an id shard and up to ten
 * item shards each, and after the background preload (readAll) they must not go back to IndexedDB.
 */
const SHARDED_CACHE_ENTRIES = 64;
const MAX_SEEN_IDS = 200_000;
/** Items learned from query results (index v4 cells): a few hundred result lists. */
const MAX_LEARNED_ITEMS = 4096;
/** Shards read at once by readAll: enough to hide latency, few enough to leave room for the page. */
const READ_ALL_PARALLEL = 4;

interface CatalogReaderOptions {
  /** The manifest's count and layout, which the catalog index must match. */
  count: number;
  layout: CatalogLayout;
  /** Counts every request and byte this reader makes (the sharded reader's FetchStats). */
  counter?: ReadCounter;
  /** The source checked the catalog index against the manifest already (the worker's resident loader). */
  sourceVerifies?: boolean;
}

/**
 * Reads a catalog in the sharded format (core/catalogShards.ts), the catalog of both layouts: the small
 * catalog index on open, then item shards for the positions asked for and id shards for ids, each
 * CRC-checked (a copy that fails is read once more past any cache) and kept in a bounded memory cache.
 */
export class CatalogReader {
  private readonly itemShards = new Map<number, Promise<ShardedItem[]>>();
  private readonly idShards = new Map<string, Promise<Map<string, number>>>();
  /** Positions of ids seen in item shards: an item shown on an album page needs no id shard. */
  private readonly seenPositions = new Map<string, number>();
  /** Items that came with a query's cells (index v4): opening a result needs no shard. */
  private readonly learned = new Map<string, ShardedItem>();
  private positionsPromise: Promise<Uint32Array> | undefined;

  private constructor(
    readonly ref: FileRef,
    readonly index: CatalogIndex,
    private readonly source: DataSource,
    private readonly counter: ReadCounter,
    private readonly cacheEntries: number,
  ) {}

  /** Reads and checks the catalog index `ref` names (size and sha256 against the manifest). */
  static async open(ref: FileRef, source: DataSource, o: CatalogReaderOptions): Promise<CatalogReader> {
    const counter = o.counter ?? { requests: 0, bytes: 0 };
    const bytes = await readVerified(source, ref, counter, o.sourceVerifies);
    const index = withPath(ref.path, () =>
      parseCatalogIndex(JSON.parse(new TextDecoder().decode(bytes)), { count: o.count, layout: o.layout }),
    );
    const cacheEntries = o.layout === 'resident' ? Infinity : SHARDED_CACHE_ENTRIES;
    return new CatalogReader(ref, index, source, counter, cacheEntries);
  }

  get albums(): readonly ShardedAlbum[] {
    return this.index.albums;
  }

  /** Items at positions start ..< start + count (clamped to the collection). */
  async itemsAt(start: number, count: number): Promise<ShardedItem[]> {
    const end = Math.min(this.index.count, start + count);
    if (!Number.isInteger(start) || start < 0 || end <= start) return [];
    const size = this.index.shardSize;
    const shards: Promise<ShardedItem[]>[] = [];
    for (let s = Math.floor(start / size); s <= Math.floor((end - 1) / size); s++)
      shards.push(this.itemShard(s));
    const items = (await Promise.all(shards)).flat();
    const first = Math.floor(start / size) * size;
    return items.slice(start - first, end - first);
  }

  /** Items start ..< start + count of an album (its own numbering); none for an unknown album. */
  albumItems(album: string, start: number, count: number): Promise<ShardedItem[]> {
    const a = this.index.albums.find((x) => x.name === album);
    const from = Math.max(0, start);
    const to = Math.min(a?.count ?? 0, start + count);
    return a === undefined || to <= from ? Promise.resolve([]) : this.itemsAt(a.start + from, to - from);
  }

  /** The items at these positions, in that order (items of one shard share its fetch). */
  async itemsAtPositions(positions: readonly number[]): Promise<ShardedItem[]> {
    const items = await Promise.all(positions.map((p) => this.itemsAt(p, 1)));
    return items.map((found, i) => {
      if (found.length !== 1) throw new RangeError(`no item at catalog position ${positions[i]}`);
      return found[0];
    });
  }

  async itemById(id: string): Promise<ShardedItem | undefined> {
    if (!this.isIdShaped(id)) return undefined;
    const learned = this.learned.get(id);
    if (learned !== undefined) return learned;
    const position =
      this.seenPositions.get(id) ?? (await this.idShard(idShardPrefix(this.index, id))).get(id);
    if (position === undefined) return undefined;
    const [item] = await this.itemsAt(position, 1);
    // An id shard that points elsewhere would answer with another image's results, silently.
    if (item?.id !== id) {
      const path = idShardPath(this.index, idShardPrefix(this.index, id));
      throw new Error(`invalid catalog: ${path} puts ${id} at position ${position}, which holds ${item?.id}`);
    }
    return item;
  }

  /**
   * Reads the id shard that holds `id`, if not yet read. itemById often answers without it (an item a
   * search or a page brought along), but a reload does not have those: an image opened online is opened
   * again offline only if its id shard went through the source's cache.
   */
  async readIdShardOf(id: string): Promise<void> {
    if (this.isIdShaped(id)) await this.idShard(idShardPrefix(this.index, id));
  }

  /** Lowercase hex, long enough to name its id shard: anything else is no id of this catalog. */
  private isIdShaped(id: string): boolean {
    return /^[0-9a-f]+$/.test(id) && id.length >= this.index.idPrefixDigits;
  }

  /** Items read elsewhere than in this catalog's shards (a v4 index's cells), for itemById. */
  learn(items: readonly ShardedItem[]): void {
    for (const it of items) {
      this.learned.delete(it.id);
      this.learned.set(it.id, it);
      if (this.learned.size > MAX_LEARNED_ITEMS)
        this.learned.delete(this.learned.keys().next().value as string);
    }
  }

  /** Every item in position order, one shard at a time (a million-image catalog is read in order). */
  async everyItem(): Promise<ShardedItem[]> {
    const out: ShardedItem[] = [];
    for (let s = 0; s < itemShardCount(this.index); s++) out.push(...(await this.itemShard(s)));
    return out;
  }

  /** Resident layout: the catalog position of each index v1 row (index searches answer with rows). */
  positionsOfRows(): Promise<Uint32Array> {
    const crc = this.index.positionsCrc;
    if (crc === undefined) return Promise.reject(new Error('a sharded catalog has no positions file'));
    const path = positionsPath(this.index);
    this.positionsPromise ??= this.verified(path, crc).then((bytes) =>
      withPath(path, () => parsePositions(bytes, this.index)),
    );
    this.positionsPromise.catch(() => (this.positionsPromise = undefined));
    return this.positionsPromise;
  }

  /** The data-dir-relative files of this catalog: its index, then every shard. */
  files(): string[] {
    return [this.ref.path, ...catalogShardPaths(this.index)];
  }

  /**
   * Reads and checks every shard (so that a source with a cache behind it, the worker's IndexedDB,
   * holds the whole catalog for offline visits), each once `whenIdle` lets it.
   */
  async readAll(whenIdle: WhenIdle = ALWAYS_IDLE): Promise<void> {
    const reads: (() => Promise<unknown>)[] = [
      ...Array.from({ length: itemShardCount(this.index) }, (_, s) => () => this.itemShard(s)),
      ...idShardPrefixes(this.index.idPrefixDigits).map((prefix) => () => this.idShard(prefix)),
      ...(this.index.positionsCrc === undefined ? [] : [() => this.positionsOfRows()]),
    ];
    let next = 0;
    const worker = async () => {
      for (;;) {
        await whenIdle();
        if (next >= reads.length) return;
        await reads[next++]();
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_ALL_PARALLEL, reads.length) }, worker));
  }

  private itemShard(shard: number): Promise<ShardedItem[]> {
    let p = this.itemShards.get(shard);
    if (p === undefined) {
      if (shard < 0 || shard >= itemShardCount(this.index)) return Promise.resolve([]);
      const path = itemShardPath(this.index, shard);
      p = this.verified(path, this.index.itemShardCrc[shard]).then((bytes) => {
        const items = withPath(path, () => parseItemShard(json(bytes), this.index, shard));
        if (this.seenPositions.size > MAX_SEEN_IDS) this.seenPositions.clear();
        for (const it of items) this.seenPositions.set(it.id, it.position);
        return items;
      });
      this.remember(this.itemShards, shard, p);
    }
    return p;
  }

  private idShard(prefix: string): Promise<Map<string, number>> {
    let p = this.idShards.get(prefix);
    if (p === undefined) {
      const path = idShardPath(this.index, prefix);
      const crc = this.index.idShardCrc[parseInt(prefix === '' ? '0' : prefix, 16)];
      p = this.verified(path, crc).then((bytes) =>
        withPath(path, () => parseIdShard(json(bytes), this.index, prefix)),
      );
      this.remember(this.idShards, prefix, p);
    }
    return p;
  }

  private async verified(path: string, crc: number): Promise<Uint8Array> {
    for (const fresh of [false, true]) {
      const bytes = await this.source.file(path, fresh);
      this.counter.requests++;
      this.counter.bytes += bytes.length;
      if (crc32(bytes) === crc) return bytes;
    }
    throw new Error(`${path} does not match its checksum in the catalog index`);
  }

  /** A bounded memory cache; a failed load is forgotten so the next use retries. */
  private remember<K, V>(map: Map<K, Promise<V>>, key: K, value: Promise<V>): void {
    map.set(key, value);
    value.catch(() => map.delete(key));
    if (map.size > this.cacheEntries) map.delete(map.keys().next().value as K);
  }
}

function json(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The page sees catalog items only; positions, rows and vectors are the index's business. */
export function plainItem(it: ShardedItem): CatalogItem {
  const { position: _position, row: _row, vector: _vector, ...item } = it;
  return item;
}
