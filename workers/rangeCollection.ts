import type { CatalogItem } from '../core/catalog';
import type { ShardedItem } from '../core/catalogShards';
import { httpDataSource } from '../core/httpDataSource';
import type { ShardedManifest } from '../core/manifest';
import { ShardedCollection, type ShardedSearch } from '../core/shardedCollection';
import { openCachedDataSource, type CachedDataSource } from './cachedDataSource';
import { UnknownItemError, type Collection, type CollectionSearch } from './collection';
import type { DataCache } from './dataCache';
import type { AlbumSummary } from './searchApi';

/** A sharded build read over HTTP Range requests, with everything fetched kept in IndexedDB. */
export class RangeCollection implements Collection {
  readonly layout = 'sharded';
  readonly albums: AlbumSummary[];

  private constructor(
    private readonly collection: ShardedCollection,
    private readonly source: CachedDataSource,
  ) {
    this.albums = collection.albums.map((a) => ({ name: a.name, count: a.count, cover: a.cover }));
  }

  static async open(dataUrl: string, manifest: ShardedManifest, cache: DataCache): Promise<RangeCollection> {
    const source = await openCachedDataSource(httpDataSource(dataUrl), cache, manifest.index.sha256);
    const collection = await ShardedCollection.open(manifest, source, source.cellStore);
    return new RangeCollection(collection, source);
  }

  get count(): number {
    return this.collection.count;
  }

  get modelId(): string {
    return this.collection.head.modelId;
  }

  /** Bytes fetched over the network since this collection was opened. */
  get networkBytes(): number {
    return this.source.networkBytes;
  }

  async albumItems(album: string, start: number, count: number): Promise<CatalogItem[]> {
    const a = this.collection.albums.find((x) => x.name === album);
    if (a === undefined) return [];
    const from = Math.max(0, start);
    const to = Math.min(a.count, start + count);
    if (to <= from) return [];
    return (await this.collection.itemsAt(a.start + from, to - from)).map(plainItem);
  }

  async item(id: string): Promise<CatalogItem | null> {
    const it = await this.collection.itemById(id);
    return it === undefined ? null : plainItem(it);
  }

  async searchById(id: string, k: number): Promise<CollectionSearch> {
    const before = this.source.networkBytes;
    const it = await this.collection.itemById(id);
    if (it === undefined) throw new UnknownItemError(id);
    return this.describe(await this.collection.searchByItem(it, k), before);
  }

  transform() {
    return this.collection.transform();
  }

  async searchByVector(vector: Int8Array, k: number): Promise<CollectionSearch> {
    const before = this.source.networkBytes;
    return this.describe(await this.collection.searchByVector(vector, k), before);
  }

  async itemsAtPositions(positions: readonly number[]): Promise<CatalogItem[]> {
    // Items of one shard share its (cached) fetch.
    const items = await Promise.all(positions.map((p) => this.collection.itemsAt(p, 1)));
    return items.map((found, i) => {
      if (found.length !== 1) throw new RangeError(`no item at catalog position ${positions[i]}`);
      return plainItem(found[0]);
    });
  }

  /** A (small) data file of this build, through the build's IndexedDB store; `fresh` skips the store. */
  dataFile(path: string, fresh?: boolean): Promise<Uint8Array> {
    return this.source.file(path, fresh);
  }

  private describe(found: ShardedSearch, networkBefore: number): CollectionSearch {
    return {
      results: found.hits.map((h) => ({ id: h.item.id, score: h.score, item: plainItem(h.item) })),
      fetchedBytes: this.source.networkBytes - networkBefore,
    };
  }
}

/** The page sees catalog items only; positions and rows are the index's business. */
function plainItem(it: ShardedItem): CatalogItem {
  const { position: _position, row: _row, vector: _vector, ...item } = it;
  return item;
}
