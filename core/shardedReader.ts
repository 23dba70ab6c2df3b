import {
  cellByteRange,
  decodeCell,
  decodeCellIndexHead,
  decodeCellTransform,
  type CellIndexHead,
  type CellRows,
} from './cellIndexFormat';
import { openCellItems, type CellItems } from './cellItems';
import { PARALLEL_CELL_REQUESTS, defaultProbe, probeCells, searchCells, type CellHit } from './cellSearch';
import { CatalogReader } from './catalogReader';
import { decodeVector, type CatalogIndex, type ShardedAlbum, type ShardedItem } from './catalogShards';
import { assertK } from './residentIndex';
import type { ShardedManifest } from './manifest';
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

interface FetchStats {
  requests: number;
  bytes: number;
  cellsFromStore: number;
}

interface ShardedHit {
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
const COALESCE_GAP_BYTES = 64 * 1024;
/** Decoded cells kept in memory (about 31 KB of rows each at the default size, copies included, and their items): many queries. */
const MAX_MEMORY_CELLS = 4096;
/** Parsed item blocks kept (256 items each at the default size): the cells of a few recent queries. */
const MAX_ITEM_BLOCKS = 64;

class CorruptDataError extends Error {}

/**
 * Album browsing and search over a sharded data dir, fetching only what is needed: the index head and
 * catalog index on open, then item shards for the items shown, and the cells a query probes. Node and
 * the browser run this same code, so a query gives the same result in both.
 */
export class ShardedReader {
  private readonly cells = new Map<number, CellRows>();
  /**
   * Cells on their way from the network, by number: a query that needs one of them waits for it
   * rather than asking again (the k selector changed while the first query's cells were loading
   * fetched them once per query).
   */
  private readonly arriving = new Map<number, Promise<CellRows>>();
  /** Item blocks of the cells that held recent results (index v4), least recent first. */
  private readonly cellItems = new Map<CellRows, CellItems>();
  private transformPromise: Promise<VectorTransform> | undefined;
  /** The catalog index, as `items` read it. */
  readonly catalog: CatalogIndex;

  private constructor(
    readonly manifest: ShardedManifest,
    readonly head: CellIndexHead,
    /** The catalog (item and id shards), read through the same source; its reads count in `stats`. */
    readonly items: CatalogReader,
    private readonly source: DataSource,
    private readonly store: CellStore | undefined,
    /** Requests and bytes so far (catalog reads included), and cells read from the store. */
    readonly stats: FetchStats,
  ) {
    this.catalog = items.index;
  }

  static async open(
    manifest: ShardedManifest,
    source: DataSource,
    store?: CellStore,
  ): Promise<ShardedReader> {
    const stats: FetchStats = { requests: 0, bytes: 0, cellsFromStore: 0 };
    // A cached copy that fails its check is fetched once more, bypassing the cache.
    const readHead = async (fresh: boolean) => {
      const bytes = await source.range(manifest.index.path, 0, manifest.index.headBytes, fresh);
      stats.requests++;
      stats.bytes += bytes.length;
      const head = decodeCellIndexHead(bytes);
      if (head.count !== manifest.count || head.modelId !== manifest.model.id)
        throw new CorruptDataError(
          `index head does not match the manifest (count ${head.count}, model ${head.modelId})`,
        );
      // Every cell's byte range comes from the head: one past the file would ask for (and allocate) it.
      if (head.totalBytes !== manifest.index.bytes || head.headBytes !== manifest.index.headBytes)
        throw new CorruptDataError(
          `index head does not match the manifest (${head.totalBytes} bytes with a ${head.headBytes}-byte ` +
            `head; the manifest says ${manifest.index.bytes} and ${manifest.index.headBytes})`,
        );
      return head;
    };
    const [head, items] = await Promise.all([
      readHead(false).catch(() => readHead(true)),
      CatalogReader.open(manifest.catalog, source, {
        count: manifest.count,
        layout: 'sharded',
        counter: stats,
      }),
    ]);
    return new ShardedReader(manifest, head, items, source, store, stats);
  }

  get count(): number {
    return this.head.count;
  }

  get albums(): readonly ShardedAlbum[] {
    return this.catalog.albums;
  }

  /** Items at positions start ..< start + count (clamped to the collection). */
  itemsAt(start: number, count: number): Promise<ShardedItem[]> {
    return this.items.itemsAt(start, count);
  }

  itemById(id: string): Promise<ShardedItem | undefined> {
    return this.items.itemById(id);
  }

  /** Album-image query: the item's own vector (carried by its catalog shard); the item is left out. */
  async searchByItem(item: ShardedItem, k: number, probeRows?: number): Promise<ShardedSearch> {
    if (item.vector === undefined) throw new CorruptDataError(`item ${item.id} carries no index vector`);
    const q = decodeVector(item.vector);
    if (q.length !== this.head.dims)
      throw new CorruptDataError(`item ${item.id} has a ${q.length}-d vector, the index ${this.head.dims}-d`);
    return this.search(q, k, item.position, probeRows, { ...this.stats });
  }

  /** Own-image query: q is the compact int8 vector (see transform()). */
  searchByVector(q: Int8Array, k: number, probeRows?: number): Promise<ShardedSearch> {
    return this.search(q, k, -1, probeRows, { ...this.stats });
  }

  /**
   * The embedding → int8 transform; only own-image queries need it, so it is fetched on first use, and
   * kept in the store with the cells (verified by its SHA-256 on every read), so that own-image search
   * works offline and a later visit does not download it again.
   */
  transform(): Promise<VectorTransform> {
    this.transformPromise ??= this.loadTransform();
    this.transformPromise.catch(() => (this.transformPromise = undefined));
    return this.transformPromise;
  }

  private async loadTransform(): Promise<VectorTransform> {
    const key = `transform:${this.manifest.index.sha256}`;
    const store = this.store;
    const stored = await store?.getMany([key]).then(
      ([bytes]) => bytes,
      () => undefined,
    );
    if (stored !== undefined) {
      try {
        return decodeCellTransform(this.head, stored);
      } catch {
        // A damaged entry is dropped and fetched again.
        void store?.delete(key).catch(() => undefined);
      }
    }
    const { transformOffset, transformBytes } = this.head;
    const bytes = await this.fetchRange(
      this.manifest.index.path,
      transformOffset,
      transformOffset + transformBytes,
    );
    const transform = decodeCellTransform(this.head, bytes);
    if (store !== undefined) setTimeout(() => void store.setMany([[key, bytes]]).catch(() => undefined), 0);
    return transform;
  }

  private async search(
    q: Int8Array,
    k: number,
    excludePosition: number,
    probeRows: number | undefined,
    before: FetchStats,
  ): Promise<ShardedSearch> {
    assertK(k);
    // Rows asked for explicitly (the bench's exact scan) are read whatever the cells.
    const probe =
      probeRows === undefined ? defaultProbe(this.head.count) : { minRows: probeRows, maxCells: Infinity };
    const probes = probeCells(this.head, q, probe);
    const kk = Math.min(k, this.head.count - (excludePosition === -1 ? 0 : 1));
    const cells = await this.loadCells(probes);
    const found = kk > 0 ? searchCells(q, cells, kk, excludePosition) : [];
    // Index v4 cells carry their items; before it, the results' item shards are a second round trip.
    const items = this.head.hasItems
      ? this.itemsInCells(found, cells)
      : await this.items.itemsAtPositions(found.map((h) => h.position));
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

  /**
   * Index v4: each hit's item from the item block of a cell that holds it (parsed once per cell, each
   * item checked when first needed).
   * The catalog learns them, so opening a result needs no item or id shard.
   */
  private itemsInCells(found: CellHit[], cells: CellRows[]): ShardedItem[] {
    const items = found.map((h) => {
      const cell = cells.find((c) => c.positions.includes(h.position));
      if (cell === undefined) throw new CorruptDataError(`no cell read holds position ${h.position}`);
      const block = this.cellItems.get(cell) ?? openCellItems(cell, this.head.count);
      this.cellItems.delete(cell);
      this.cellItems.set(cell, block);
      if (this.cellItems.size > MAX_ITEM_BLOCKS)
        this.cellItems.delete(this.cellItems.keys().next().value as CellRows);
      return block.at(cell.positions.indexOf(h.position));
    });
    this.items.learn(items);
    return items;
  }

  private storeKey(cell: number): string {
    return `cell:${this.manifest.index.sha256}:${cell}`;
  }

  /**
   * Memory, then the store (verified), then the network in merged Range requests (verified), the
   * requests holding the nearest cells (`wanted` is nearest first) first.
   */
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
    const joined: Promise<void>[] = [];
    const toFetch: number[] = [];
    for (const c of wanted) {
      if (got.has(c)) continue;
      const arriving = this.arriving.get(c);
      if (arriving !== undefined) joined.push(arriving.then((rows) => void got.set(c, rows)));
      else toFetch.push(c);
    }
    toFetch.sort((a, b) => a - b);
    const announced = new Map<number, { resolve(rows: CellRows): void; reject(err: unknown): void }>();
    for (const c of toFetch) {
      const promise = new Promise<CellRows>((resolve, reject) => announced.set(c, { resolve, reject }));
      // A failure reaches this query through its own fetch; waiters see it through their await.
      promise.catch(() => undefined);
      this.arriving.set(c, promise);
    }
    const settle = (c: number, outcome: { rows: CellRows } | { err: unknown }) => {
      const a = announced.get(c);
      if (a === undefined) return;
      announced.delete(c);
      this.arriving.delete(c);
      if ('rows' in outcome) a.resolve(outcome.rows);
      else a.reject(outcome.err);
    };
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
    const rank = new Map(wanted.map((c, i) => [c, i]));
    const nearest = (group: number[]) => Math.min(...group.map((c) => rank.get(c)!));
    groups.sort((a, b) => nearest(a) - nearest(b));
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
          const rows = decodeCell(this.head, c, cellBytes);
          keep(c, rows);
          settle(c, { rows });
          fetched.push([this.storeKey(c), cellBytes]);
        }
      }
    };
    let failure: unknown;
    try {
      await Promise.all([
        ...Array.from({ length: Math.min(PARALLEL_CELL_REQUESTS, groups.length) }, worker),
        ...joined,
      ]);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      // Whatever did not arrive is no longer on its way: its waiters fail too, a later query asks again.
      for (const c of [...announced.keys()]) settle(c, { err: failure });
    }
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
}
