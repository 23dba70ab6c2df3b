import type { Catalog, CatalogItem } from '../core/catalog';
import type { LshIndex, SearchHit } from '../core/lshIndex';
import { UnknownItemError, type Collection, type CollectionSearch } from './collection';
import type { AlbumSummary } from './searchApi';

/** Index v1 and the whole catalog in memory: every call is answered without the network. */
export class ResidentCollection implements Collection {
  readonly layout = 'resident';
  readonly albums: AlbumSummary[];
  private readonly rowOfId = new Map<string, number>();
  private readonly rowsOfAlbum = new Map<string, number[]>();

  constructor(
    private readonly index: LshIndex,
    private readonly catalog: Catalog,
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
