import type { CatalogItem } from './catalog';
import { catalogShardPaths, type ShardedItem } from './catalogShards';
import { UnknownItemError, type Collection, type CollectionAlbum, type CollectionSearch } from './collection';
import type { DataSource } from './dataSource';
import type { ShardedReader, ShardedSearch } from './shardedReader';

/**
 * A sharded build as a Collection: the ShardedReader reader's items and hits turned into the
 * catalog items the page sees. `networkBytes` counts what came over the network (the worker's source
 * has IndexedDB in front; without it, every byte read from the source counts).
 */
export class ShardedCollection implements Collection {
  readonly layout = 'sharded';
  readonly albums: CollectionAlbum[];

  constructor(
    readonly reader: ShardedReader,
    private readonly source: DataSource,
    private readonly networkBytes: () => number = () => reader.stats.bytes,
  ) {
    this.albums = reader.albums.map((a) => ({ name: a.name, count: a.count, cover: a.cover }));
  }

  get count(): number {
    return this.reader.count;
  }

  get modelId(): string {
    return this.reader.head.modelId;
  }

  async albumItems(album: string, start: number, count: number): Promise<CatalogItem[]> {
    const a = this.reader.albums.find((x) => x.name === album);
    if (a === undefined) return [];
    const from = Math.max(0, start);
    const to = Math.min(a.count, start + count);
    if (to <= from) return [];
    return (await this.reader.itemsAt(a.start + from, to - from)).map(plainItem);
  }

  async everyItem(): Promise<CatalogItem[]> {
    const out: CatalogItem[] = [];
    // One shard at a time: a million-image catalog is read in order, not with thousands of reads at once.
    for (let start = 0; start < this.reader.count; start += this.reader.catalog.shardSize)
      for (const it of await this.reader.itemsAt(start, this.reader.catalog.shardSize))
        out.push(plainItem(it));
    return out;
  }

  catalogFiles(): string[] {
    return [this.reader.manifest.catalog.path, ...catalogShardPaths(this.reader.catalog)];
  }

  async item(id: string): Promise<CatalogItem | null> {
    const it = await this.reader.itemById(id);
    return it === undefined ? null : plainItem(it);
  }

  async searchById(id: string, k: number): Promise<CollectionSearch> {
    const before = this.networkBytes();
    const it = await this.reader.itemById(id);
    if (it === undefined) throw new UnknownItemError(id);
    return this.describe(await this.reader.searchByItem(it, k), before);
  }

  transform() {
    return this.reader.transform();
  }

  async searchByVector(vector: Int8Array, k: number): Promise<CollectionSearch> {
    const before = this.networkBytes();
    return this.describe(await this.reader.searchByVector(vector, k), before);
  }

  async itemsAtPositions(positions: readonly number[]): Promise<CatalogItem[]> {
    // Items of one shard share its (cached) fetch.
    const items = await Promise.all(positions.map((p) => this.reader.itemsAt(p, 1)));
    return items.map((found, i) => {
      if (found.length !== 1) throw new RangeError(`no item at catalog position ${positions[i]}`);
      return plainItem(found[0]);
    });
  }

  async prefetch(): Promise<void> {}

  /** A (small) data file of this build, through the source (and so its cache); `fresh` skips the cache. */
  dataFile(path: string, fresh?: boolean): Promise<Uint8Array> {
    return this.source.file(path, fresh);
  }

  private describe(found: ShardedSearch, networkBefore: number): CollectionSearch {
    return {
      results: found.hits.map((h) => ({ id: h.item.id, score: h.score, item: plainItem(h.item) })),
      fetchedBytes: this.networkBytes() - networkBefore,
    };
  }
}

/** The page sees catalog items only; positions and rows are the index's business. */
export function plainItem(it: ShardedItem): CatalogItem {
  const { position: _position, row: _row, vector: _vector, ...item } = it;
  return item;
}
