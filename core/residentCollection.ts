import { CatalogReader } from './catalogReader';
import type { CatalogItem } from './catalog';
import {
  ALWAYS_IDLE,
  UnknownItemError,
  type Collection,
  type CollectionAlbum,
  type CollectionSearch,
  type WhenIdle,
} from './collection';
import { decodeIndex } from './indexFormat';
import { assertK, type ResidentIndex } from './residentIndex';
import {
  decodeNeighbourShard,
  neighbourShardOf,
  neighboursOf,
  type NeighbourShard,
  type NeighboursField,
} from './neighbourListsFormat';
import { WHOLE_CATALOG_MANIFEST_VERSION, type FileRef, type ResidentManifest } from './manifest';
import { shardedResidentCatalog, wholeResidentCatalog, type ResidentCatalog } from './residentCatalog';
import type { DataSource } from './dataSource';
import { readVerified, withPath } from './verifiedRead';

/**
 * Index v1, read only when a query needs it — an own-image query, or an album-image query in a build
 * without neighbour lists (or with k beyond them) — since album-image queries read one small neighbour
 * shard instead; and the catalog read piecewise (core/catalogReader.ts): the catalog index on open, item
 * shards for the items shown. Data dirs of builders before the sharded catalog (manifest v1) have one
 * whole catalog file, read on open.
 */
export class ResidentCollection implements Collection {
  readonly layout = 'resident';
  readonly albums: CollectionAlbum[];
  private indexPromise: Promise<ResidentIndex> | undefined;
  private readonly shards = new Map<number, Promise<NeighbourShard>>();

  private constructor(
    readonly manifest: ResidentManifest,
    private readonly catalog: ResidentCatalog,
    private readonly read: (ref: FileRef) => Promise<Uint8Array>,
  ) {
    this.albums = catalog.albums;
  }

  /**
   * Reads the manifest's catalog index (or whole catalog) from `source`, checks it against the manifest
   * (unless `sourceVerifies`: the worker's loader checks each manifest file's sha256 already) and decodes
   * it; the index and neighbour shards (checked the same way) and catalog shards (against the catalog
   * index's CRC-32s) are read when first needed.
   */
  static async open(
    manifest: ResidentManifest,
    source: DataSource,
    sourceVerifies = false,
  ): Promise<ResidentCollection> {
    const read = (ref: FileRef) => readVerified(source, ref, undefined, sourceVerifies);
    let catalog: ResidentCatalog;
    if (manifest.version === WHOLE_CATALOG_MANIFEST_VERSION) {
      const bytes = await read(manifest.catalog);
      catalog = withPath(manifest.catalog.path, () =>
        wholeResidentCatalog(
          manifest.catalog.path,
          JSON.parse(new TextDecoder().decode(bytes)),
          manifest.count,
        ),
      );
    } else {
      const reader = await CatalogReader.open(manifest.catalog, source, {
        count: manifest.count,
        layout: 'resident',
        sourceVerifies,
      });
      catalog = shardedResidentCatalog(reader);
    }
    return new ResidentCollection(manifest, catalog, read);
  }

  get count(): number {
    return this.manifest.count;
  }

  get modelId(): string {
    return this.manifest.model.id;
  }

  /** The index, read and decoded on first use (a failed read is tried again on the next call). */
  index(): Promise<ResidentIndex> {
    this.indexPromise ??= this.read(this.manifest.index).then((bytes) => {
      const index = withPath(this.manifest.index.path, () => decodeIndex(bytes));
      if (index.modelId !== this.manifest.model.id) {
        throw new Error(
          `${this.manifest.index.path} was built with model '${index.modelId}' but the manifest names '${this.manifest.model.id}'`,
        );
      }
      if (index.count !== this.manifest.count)
        throw new Error(
          `${this.manifest.index.path} has ${index.count} rows, the manifest ${this.manifest.count}`,
        );
      return index;
    });
    this.indexPromise.catch(() => (this.indexPromise = undefined));
    return this.indexPromise;
  }

  albumItems(album: string, start: number, count: number): Promise<CatalogItem[]> {
    return this.catalog.albumItems(album, start, count);
  }

  everyItem(): Promise<CatalogItem[]> {
    return this.catalog.everyItem();
  }

  /** Every item in index-row order (tools and tests that pair the index's rows with their items). */
  itemsInRowOrder(): Promise<CatalogItem[]> {
    return this.catalog.itemsAtRows(Array.from({ length: this.count }, (_, row) => row));
  }

  catalogFiles(): string[] {
    return this.catalog.files();
  }

  async item(id: string): Promise<CatalogItem | null> {
    return (await this.catalog.find(id))?.item ?? null;
  }

  async searchById(id: string, k: number): Promise<CollectionSearch> {
    assertK(k);
    const found = await this.catalog.find(id);
    if (found === undefined) throw new UnknownItemError(id);
    const field = this.manifest.neighbours;
    if (field !== undefined && k <= field.k) {
      // Neighbour lists are by catalog position, in shards of consecutive positions.
      const near = neighboursOf(await this.neighbourShard(field, found.position), found.position, k);
      return this.results(
        await this.catalog.itemsAtPositions(near.map((n) => n.position)),
        near.map((n) => n.score),
      );
    }
    const hits = (await this.index()).searchByRow(found.row, k);
    return this.results(
      await this.catalog.itemsAtRows(hits.map((h) => h.row)),
      hits.map((h) => h.score),
    );
  }

  async transform() {
    return (await this.index()).transform;
  }

  async searchByVector(vector: Int8Array, k: number): Promise<CollectionSearch> {
    const hits = (await this.index()).searchByVector(vector, k);
    return this.results(
      await this.catalog.itemsAtRows(hits.map((h) => h.row)),
      hits.map((h) => h.score),
    );
  }

  itemsAtPositions(positions: readonly number[]): Promise<CatalogItem[]> {
    return this.catalog.itemsAtPositions(positions);
  }

  /** Every catalog shard and neighbour shard, so that album browsing and album-image queries work offline. */
  async prefetch(whenIdle: WhenIdle = ALWAYS_IDLE): Promise<void> {
    const field = this.manifest.neighbours;
    const lists = async () => {
      if (field === undefined) return;
      for (let p = 0; p < this.count; p += field.shardRows) {
        await whenIdle();
        await this.neighbourShard(field, p);
      }
    };
    await Promise.all([this.catalog.readAll(whenIdle), lists()]);
  }

  dataFile(path: string): Promise<Uint8Array> {
    return Promise.reject(new Error(`a resident build has no part files (asked for ${path})`));
  }

  private neighbourShard(field: NeighboursField, position: number): Promise<NeighbourShard> {
    const at = neighbourShardOf(field, this.count, position);
    let shard = this.shards.get(at.shard);
    if (shard === undefined) {
      const ref = field.shards[at.shard];
      shard = this.read(ref).then((bytes) =>
        withPath(ref.path, () => decodeNeighbourShard(bytes, { ...at, k: field.k, count: this.count })),
      );
      shard.catch(() => this.shards.delete(at.shard));
      this.shards.set(at.shard, shard);
    }
    return shard;
  }

  private results(items: CatalogItem[], scores: number[]): CollectionSearch {
    return { results: items.map((item, i) => ({ id: item.id, score: scores[i], item })), fetchedBytes: 0 };
  }
}
