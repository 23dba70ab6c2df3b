import type { CatalogItem } from './catalog';
import { plainItem } from './catalogReader';
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
    return (await this.reader.items.albumItems(album, start, count)).map(plainItem);
  }

  async everyItem(): Promise<CatalogItem[]> {
    return (await this.reader.items.everyItem()).map(plainItem);
  }

  catalogFiles(): string[] {
    return this.reader.items.files();
  }

  /** An image opened (its page): found, then its id shard read in the background, to be kept for offline. */
  async item(id: string): Promise<CatalogItem | null> {
    const it = await this.reader.itemById(id);
    if (it !== undefined)
      setTimeout(() => void this.reader.items.readIdShardOf(id).catch(() => undefined), 0);
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
    return (await this.reader.items.itemsAtPositions(positions)).map(plainItem);
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
