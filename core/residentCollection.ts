import { parseCatalog, type Catalog, type CatalogItem } from './catalog';
import { UnknownItemError, type Collection, type CollectionAlbum, type CollectionSearch } from './collection';
import { decodeIndex } from './indexFormat';
import type { LshIndex, SearchHit } from './lshIndex';
import type { FileRef, ResidentManifest } from './manifest';
import { sha256Hex } from './sha256';
import type { DataSource } from './dataSource';

/** Index v1 and the whole catalog in memory: every call is answered without the network. */
export class ResidentCollection implements Collection {
  readonly layout = 'resident';
  readonly albums: CollectionAlbum[];
  private readonly rowOfId = new Map<string, number>();
  private readonly rowsOfAlbum = new Map<string, number[]>();

  constructor(
    readonly index: LshIndex,
    readonly catalog: Catalog,
    private readonly catalogPath: string,
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
   * Reads the manifest's index and catalog from `source`, checks them against the manifest (unless
   * `sourceVerifies`: the worker's loader has checked each file's sha256 already) and decodes them.
   */
  static async open(
    manifest: ResidentManifest,
    source: DataSource,
    sourceVerifies = false,
  ): Promise<ResidentCollection> {
    const read = (ref: FileRef) => (sourceVerifies ? source.file(ref.path) : readVerified(source, ref));
    const [indexBytes, catalogBytes] = await Promise.all([read(manifest.index), read(manifest.catalog)]);
    const index = withPath(manifest.index.path, () => decodeIndex(indexBytes));
    if (index.modelId !== manifest.model.id) {
      throw new Error(
        `${manifest.index.path} was built with model '${index.modelId}' but the manifest names '${manifest.model.id}'`,
      );
    }
    const catalog = withPath(manifest.catalog.path, () =>
      parseCatalog(JSON.parse(new TextDecoder().decode(catalogBytes)), index.count),
    );
    return new ResidentCollection(index, catalog, manifest.catalog.path);
  }

  get count(): number {
    return this.index.count;
  }

  get modelId(): string {
    return this.index.modelId;
  }

  async albumItems(album: string, start: number, count: number): Promise<CatalogItem[]> {
    const rows = this.rowsOfAlbum.get(album) ?? [];
    return rows.slice(Math.max(0, start), Math.max(0, start + count)).map((r) => this.catalog.items[r]);
  }

  async everyItem(): Promise<CatalogItem[]> {
    return this.catalog.items;
  }

  catalogFiles(): string[] {
    return [this.catalogPath];
  }

  async item(id: string): Promise<CatalogItem | null> {
    const row = this.rowOfId.get(id);
    return row === undefined ? null : this.catalog.items[row];
  }

  async searchById(id: string, k: number): Promise<CollectionSearch> {
    const row = this.rowOfId.get(id);
    if (row === undefined) throw new UnknownItemError(id);
    return this.describe(this.index.searchByRow(row, k));
  }

  async transform() {
    return this.index.transform;
  }

  async searchByVector(vector: Int8Array, k: number): Promise<CollectionSearch> {
    return this.describe(this.index.searchByVector(vector, k));
  }

  async itemsAtPositions(positions: readonly number[]): Promise<CatalogItem[]> {
    return positions.map((p) => {
      const item = this.catalog.items[p];
      if (item === undefined) throw new RangeError(`no item at catalog position ${p}`);
      return item;
    });
  }

  dataFile(path: string): Promise<Uint8Array> {
    return Promise.reject(new Error(`a resident build has no part files (asked for ${path})`));
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
