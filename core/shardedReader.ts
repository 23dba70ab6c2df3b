import {
  cellByteRange,
  decodeCell,
  decodeCellIndexHead,
  decodeCellTransform,
  type CellIndexHead,
  type CellRows,
} from './cellIndexFormat';
import { defaultProbeRows, probeCells, searchCells } from './cellSearch';
import {
  decodeVector,
  idShardPath,
  idShardPrefix,
  itemShardCount,
  itemShardPath,
  parseCatalogIndex,
  parseIdShard,
  parseItemShard,
  type CatalogIndex,
  type ShardedAlbum,
  type ShardedItem,
} from './catalogShards';
import { crc32 } from './crc32';
import { assertK } from './lshIndex';
import type { ShardedManifest } from './manifest';
import { sha256Hex } from './sha256';
import type { DataSource } from './dataSource';
import type { VectorTransform } from './vectorTransform';

/**
 * Persistent store of verified cells (IndexedDB in the browser); entries are re-verified on read.
 * Batched: a query touches dozens of cells, and one IndexedDB transaction per cell costs more than
 * the search itself.
 */
export interface CellStore {
  getMany(keys: string[]): Promise<(Uint8Array | undefined)[]>;
  setMany(entries: [string, Uint8Array][]): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface FetchStats {
  requests: number;
  bytes: number;
  cellsFromStore: number;
}

export interface ShardedHit {
  item: ShardedItem;
  score: number;
}

export interface ShardedSearch {
  hits: ShardedHit[];
  /** Cells read, and what this query cost on the network. */
  cellsProbed: number;
  rowsScored: number;
  fetched: FetchStats;
}

/** Ranges closer than this are fetched as one request: a few KB extra beat another round trip. */
export const COALESCE_GAP_BYTES = 64 * 1024;
const MAX_PARALLEL_REQUESTS = 6;
const SHARD_CACHE_ENTRIES = 64;
/** Decoded cells kept in memory (about 13 KB each at the default size): enough for many queries. */
const MAX_MEMORY_CELLS = 4096;
const MAX_SEEN_IDS = 200_000;

class CorruptDataError extends Error {}

/**
 * Album browsing and search over a sharded data dir, fetching only what is needed: the index head and
 * catalog index on open, then item shards for the items shown, and the cells a query probes. Node and
 * the browser run this same code, so a query gives the same result in both.
 */
export class ShardedReader {
  readonly stats: FetchStats = { requests: 0, bytes: 0, cellsFromStore: 0 };
  private readonly cells = new Map<number, CellRows>();
  private readonly itemShards = new Map<number, Promise<ShardedItem[]>>();
  private readonly idShards = new Map<string, Promise<Map<string, number>>>();
  /** Positions of ids seen in item shards: an item shown on an album page needs no id shard. */
  private readonly seenPositions = new Map<string, number>();
  private transformPromise: Promise<VectorTransform> | undefined;

  private constructor(
    readonly manifest: ShardedManifest,
    readonly head: CellIndexHead,
    readonly catalog: CatalogIndex,
    private readonly source: DataSource,
    private readonly store: CellStore | undefined,
  ) {}

  static async open(
    manifest: ShardedManifest,
    source: DataSource,
    store?: CellStore,
  ): Promise<ShardedReader> {
    const counting = { requests: 0, bytes: 0 };
    // A cached copy that fails its check is fetched once more, bypassing the cache.
    const readHead = async (fresh: boolean) => {
      const bytes = await source.range(manifest.index.path, 0, manifest.index.headBytes, fresh);
      counting.requests++;
      counting.bytes += bytes.length;
      const head = decodeCellIndexHead(bytes);
      if (head.count !== manifest.count || head.modelId !== manifest.model.id)
        throw new CorruptDataError(
          `index head does not match the manifest (count ${head.count}, model ${head.modelId})`,
        );
      return head;
    };
    const readCatalog = async (fresh: boolean) => {
      const bytes = await source.file(manifest.catalog.path, fresh);
      counting.requests++;
      counting.bytes += bytes.length;
      if (sha256Hex(bytes) !== manifest.catalog.sha256)
        throw new CorruptDataError(`${manifest.catalog.path} does not match the manifest's sha256`);
      return parseCatalogIndex(JSON.parse(new TextDecoder().decode(bytes)), manifest.count);
    };
    const [head, catalog] = await Promise.all([
      readHead(false).catch(() => readHead(true)),
      readCatalog(false).catch(() => readCatalog(true)),
    ]);
    const c = new ShardedReader(manifest, head, catalog, source, store);
    c.stats.requests += counting.requests;
    c.stats.bytes += counting.bytes;
    return c;
  }

  get count(): number {
    return this.head.count;
  }

  get albums(): readonly ShardedAlbum[] {
    return this.catalog.albums;
  }

  /** Items at positions start ..< start + count (clamped to the collection). */
  async itemsAt(start: number, count: number): Promise<ShardedItem[]> {
    const end = Math.min(this.catalog.count, start + count);
    if (!Number.isInteger(start) || start < 0 || end <= start) return [];
    const size = this.catalog.shardSize;
    const shards: Promise<ShardedItem[]>[] = [];
    for (let s = Math.floor(start / size); s <= Math.floor((end - 1) / size); s++)
      shards.push(this.itemShard(s));
    const items = (await Promise.all(shards)).flat();
    const first = Math.floor(start / size) * size;
    return items.slice(start - first, end - first);
  }

  async itemById(id: string): Promise<ShardedItem | undefined> {
    if (!/^[0-9a-f]+$/.test(id) || id.length < this.catalog.idPrefixDigits) return undefined;
    const seen = this.seenPositions.get(id);
    if (seen !== undefined) return (await this.itemsAt(seen, 1))[0];
    const prefix = idShardPrefix(this.catalog, id);
    let shard = this.idShards.get(prefix);
    if (shard === undefined) {
      const index = parseInt(prefix === '' ? '0' : prefix, 16);
      shard = this.verifiedJson(idShardPath(this.catalog, prefix), this.catalog.idShardCrc[index]).then(
        (json) => parseIdShard(json, this.catalog, prefix),
      );
      this.remember(this.idShards, prefix, shard);
    }
    const position = (await shard).get(id);
    return position === undefined ? undefined : (await this.itemsAt(position, 1))[0];
  }

  /** Album-image query: the item's own vector (carried by its catalog shard); the item is left out. */
  async searchByItem(item: ShardedItem, k: number, probeRows?: number): Promise<ShardedSearch> {
    const q = decodeVector(item.vector);
    if (q.length !== this.head.dims)
      throw new CorruptDataError(`item ${item.id} has a ${q.length}-d vector, the index ${this.head.dims}-d`);
    return this.search(q, k, item.row, probeRows, { ...this.stats });
  }

  /** Own-image query: q is the compact int8 vector (see transform()). */
  searchByVector(q: Int8Array, k: number, probeRows?: number): Promise<ShardedSearch> {
    return this.search(q, k, -1, probeRows, { ...this.stats });
  }

  /** The embedding → int8 transform; only own-image queries need it, so it is fetched on first use. */
  transform(): Promise<VectorTransform> {
    this.transformPromise ??= this.fetchRange(
      this.manifest.index.path,
      this.head.transformOffset,
      this.head.transformOffset + this.head.transformBytes,
    ).then((bytes) => decodeCellTransform(this.head, bytes));
    this.transformPromise.catch(() => (this.transformPromise = undefined));
    return this.transformPromise;
  }

  private async search(
    q: Int8Array,
    k: number,
    excludeRow: number,
    probeRows: number | undefined,
    before: FetchStats,
  ): Promise<ShardedSearch> {
    assertK(k);
    const minRows = probeRows ?? defaultProbeRows(this.head.count);
    const probes = probeCells(this.head, q, minRows);
    const cells = await this.loadCells(probes);
    const kk = Math.min(k, this.head.count - (excludeRow === -1 ? 0 : 1));
    const found = kk > 0 ? searchCells(q, cells, kk, excludeRow) : [];
    const items = await Promise.all(found.map((h) => this.itemsAt(h.position, 1).then((it) => it[0])));
    return {
      hits: found.map((h, i) => ({ item: items[i], score: h.score })),
      cellsProbed: probes.length,
      rowsScored: cells.reduce((n, c) => n + c.count, 0),
      fetched: {
        requests: this.stats.requests - before.requests,
        bytes: this.stats.bytes - before.bytes,
        cellsFromStore: this.stats.cellsFromStore - before.cellsFromStore,
      },
    };
  }

  private storeKey(cell: number): string {
    return `cell:${this.manifest.index.sha256}:${cell}`;
  }

  /** Memory, then the store (verified), then the network in merged Range requests (verified). */
  private async loadCells(wanted: number[]): Promise<CellRows[]> {
    const got = new Map<number, CellRows>();
    for (const c of wanted) {
      const cached = this.cells.get(c);
      if (cached !== undefined) got.set(c, cached);
    }
    const keep = (c: number, rows: CellRows) => {
      got.set(c, rows);
      this.cells.set(c, rows);
      if (this.cells.size > MAX_MEMORY_CELLS) this.cells.delete(this.cells.keys().next().value as number);
    };
    const missing = wanted.filter((c) => !got.has(c));
    if (this.store !== undefined && missing.length > 0) {
      const store = this.store;
      const stored = await store
        .getMany(missing.map((c) => this.storeKey(c)))
        .catch(() => missing.map(() => undefined));
      stored.forEach((bytes, i) => {
        if (bytes === undefined) return;
        const c = missing[i];
        try {
          keep(c, decodeCell(this.head, c, bytes));
          this.stats.cellsFromStore++;
        } catch {
          // A damaged entry is dropped and fetched again below.
          void store.delete(this.storeKey(c)).catch(() => undefined);
        }
      });
    }
    const toFetch = wanted.filter((c) => !got.has(c)).sort((a, b) => a - b);
    const groups: number[][] = [];
    for (const c of toFetch) {
      const last = groups[groups.length - 1];
      const gap =
        last === undefined
          ? Infinity
          : cellByteRange(this.head, c)[0] - cellByteRange(this.head, last[last.length - 1])[1];
      if (last !== undefined && gap <= COALESCE_GAP_BYTES) last.push(c);
      else groups.push([c]);
    }
    let next = 0;
    const fetched: [string, Uint8Array][] = [];
    const worker = async () => {
      while (next < groups.length) {
        const group = groups[next++];
        const start = cellByteRange(this.head, group[0])[0];
        const end = cellByteRange(this.head, group[group.length - 1])[1];
        const bytes = await this.fetchRange(this.manifest.index.path, start, end);
        for (const c of group) {
          const [s, e] = cellByteRange(this.head, c);
          const cellBytes = bytes.slice(s - start, e - start);
          keep(c, decodeCell(this.head, c, cellBytes));
          fetched.push([this.storeKey(c), cellBytes]);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL_REQUESTS, groups.length) }, worker));
    // Stored after the answer is out: copying megabytes into IndexedDB is not the query's business.
    const store = this.store;
    if (store !== undefined && fetched.length > 0)
      setTimeout(() => void store.setMany(fetched).catch(() => undefined), 0);
    return wanted.map((c) => got.get(c) as CellRows);
  }

  private async fetchRange(path: string, start: number, end: number): Promise<Uint8Array> {
    const bytes = await this.source.range(path, start, end);
    this.stats.requests++;
    this.stats.bytes += bytes.length;
    if (bytes.length !== end - start)
      throw new CorruptDataError(
        `${path} bytes ${start}–${end}: got ${bytes.length} bytes, expected ${end - start}`,
      );
    return bytes;
  }

  private itemShard(shard: number): Promise<ShardedItem[]> {
    let p = this.itemShards.get(shard);
    if (p === undefined) {
      if (shard < 0 || shard >= itemShardCount(this.catalog)) return Promise.resolve([]);
      p = this.verifiedJson(itemShardPath(this.catalog, shard), this.catalog.itemShardCrc[shard]).then(
        (json) => {
          const items = parseItemShard(json, this.catalog, shard);
          if (this.seenPositions.size > MAX_SEEN_IDS) this.seenPositions.clear();
          for (const it of items) this.seenPositions.set(it.id, it.position);
          return items;
        },
      );
      this.remember(this.itemShards, shard, p);
    }
    return p;
  }

  private async verifiedJson(path: string, crc: number): Promise<unknown> {
    for (const fresh of [false, true]) {
      const bytes = await this.source.file(path, fresh);
      this.stats.requests++;
      this.stats.bytes += bytes.length;
      if (crc32(bytes) === crc) return JSON.parse(new TextDecoder().decode(bytes));
    }
    throw new CorruptDataError(`${path} does not match its checksum in the catalog index`);
  }

  /** A bounded memory cache; a failed load is forgotten so the next use retries. */
  private remember<K, V>(map: Map<K, Promise<V>>, key: K, value: Promise<V>): void {
    map.set(key, value);
    value.catch(() => map.delete(key));
    if (map.size > SHARD_CACHE_ENTRIES) map.delete(map.keys().next().value as K);
  }
}
