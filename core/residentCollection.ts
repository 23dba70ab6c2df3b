import { parseCatalog, type Catalog, type CatalogItem } from './catalog';
import { UnknownItemError, type Collection, type CollectionAlbum, type CollectionSearch } from './collection';
import { decodeIndex } from './indexFormat';
import { assertK, type LshIndex, type SearchHit } from './lshIndex';
import {
  decodeNeighbourShard,
  neighbourShardOf,
  neighboursOf,
  type NeighbourShard,
  type NeighboursField,
} from './neighboursFormat';
import type { FileRef, ResidentManifest } from './manifest';
import { sha256Hex } from './sha256';
import type { DataSource } from './dataSource';

/**
 * Index v1 and the whole catalog in memory. The catalog is read on open; the index only when a query
 * needs it — an own-image query, or an album-image query in a build without neighbour lists (or with
 * k beyond them) — since album-image queries read one small neighbour shard instead.
 */
export class ResidentCollection implements Collection {
  readonly layout = 'resident';
  readonly albums: CollectionAlbum[];
  private readonly rowOfId = new Map<string, number>();
  private readonly rowsOfAlbum = new Map<string, number[]>();
  private indexPromise: Promise<LshIndex> | undefined;
  private readonly shards = new Map<number, Promise<NeighbourShard>>();

  private constructor(
    readonly manifest: ResidentManifest,
    readonly catalog: Catalog,
    private readonly read: (ref: FileRef) => Promise<Uint8Array>,
  ) {
    catalog.items.forEach((item, row) => {
      this.rowOfId.set(item.id, row);
      const rows = this.rowsOfAlbum.get(item.album);
      if (rows) rows.push(row);
      else this.rowsOfAlbum.set(item.album, [row]);
    });
    this.albums = catalog.albums.map((a) => ({
      name: a.name,
      count: a.count,
      cover: { id: a.cover, thumb: catalog.items[this.rowOfId.get(a.cover) as number].thumb },
    }));
  }

  /**
   * Reads the manifest's catalog from `source`, checks it against the manifest (unless
   * `sourceVerifies`: the worker's loader checks each file's sha256 already) and decodes it; the index
   * and neighbour shards are read, checked the same way, when first needed.
   */
  static async open(
    manifest: ResidentManifest,
    source: DataSource,
    sourceVerifies = false,
  ): Promise<ResidentCollection> {
    const read = (ref: FileRef) => (sourceVerifies ? source.file(ref.path) : readVerified(source, ref));
    const catalogBytes = await read(manifest.catalog);
    const catalog = withPath(manifest.catalog.path, () =>
      parseCatalog(JSON.parse(new TextDecoder().decode(catalogBytes)), manifest.count),
    );
    return new ResidentCollection(manifest, catalog, read);
  }

  get count(): number {
    return this.manifest.count;
  }

  get modelId(): string {
    return this.manifest.model.id;
  }

  /** The index, read and decoded on first use (a failed read is tried again on the next call). */
  index(): Promise<LshIndex> {
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

  async albumItems(album: string, start: number, count: number): Promise<CatalogItem[]> {
    const rows = this.rowsOfAlbum.get(album) ?? [];
    return rows.slice(Math.max(0, start), Math.max(0, start + count)).map((r) => this.catalog.items[r]);
  }

  async everyItem(): Promise<CatalogItem[]> {
    return this.catalog.items;
  }

  catalogFiles(): string[] {
    return [this.manifest.catalog.path];
  }

  async item(id: string): Promise<CatalogItem | null> {
    const row = this.rowOfId.get(id);
    return row === undefined ? null : this.catalog.items[row];
  }

  async searchById(id: string, k: number): Promise<CollectionSearch> {
    const row = this.rowOfId.get(id);
    if (row === undefined) throw new UnknownItemError(id);
    assertK(k);
    const field = this.manifest.neighbours;
    if (field !== undefined && k <= field.k) {
      const found = neighboursOf(await this.neighbourShard(field, row), row, k);
      return this.describe(found.map((n) => ({ row: n.position, score: n.score })));
    }
    return this.describe((await this.index()).searchByRow(row, k));
  }

  async transform() {
    return (await this.index()).transform;
  }

  async searchByVector(vector: Int8Array, k: number): Promise<CollectionSearch> {
    return this.describe((await this.index()).searchByVector(vector, k));
  }

  async itemsAtPositions(positions: readonly number[]): Promise<CatalogItem[]> {
    return positions.map((p) => {
      const item = this.catalog.items[p];
      if (item === undefined) throw new RangeError(`no item at catalog position ${p}`);
      return item;
    });
  }

  async prefetch(): Promise<void> {
    const field = this.manifest.neighbours;
    if (field === undefined) return;
    for (let row = 0; row < this.count; row += field.shardRows) await this.neighbourShard(field, row);
  }

  dataFile(path: string): Promise<Uint8Array> {
    return Promise.reject(new Error(`a resident build has no part files (asked for ${path})`));
  }

  private neighbourShard(field: NeighboursField, row: number): Promise<NeighbourShard> {
    const at = neighbourShardOf(field, this.count, row);
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

  private describe(hits: SearchHit[]): CollectionSearch {
    return {
      results: hits.map((h) => {
        const item = this.catalog.items[h.row];
        return { id: item.id, score: h.score, item };
      }),
      fetchedBytes: 0,
    };
  }
}

/** A file whose size or sha256 is not the manifest's is read once more past any cache, then refused. */
async function readVerified(source: DataSource, ref: FileRef): Promise<Uint8Array> {
  for (const fresh of [false, true]) {
    const bytes = await source.file(ref.path, fresh);
    if (bytes.length === ref.bytes && sha256Hex(bytes) === ref.sha256) return bytes;
  }
  throw new Error(`${ref.path} does not match its manifest entry (size or SHA-256)`);
}

/** Decoding errors name the file they are about. */
function withPath<T>(path: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
