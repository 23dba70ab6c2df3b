import { parseCatalog, type Catalog, type CatalogItem } from './catalog';
import { plainItem, type CatalogReader } from './catalogReader';
import type { ShardedItem } from './catalogShards';
import type { CollectionAlbum, WhenIdle } from './collection';

/** An item with where it is: its catalog position (neighbour lists, duplicates) and its index row. */
interface PlacedItem {
  item: CatalogItem;
  position: number;
  row: number;
}

/**
 * A resident build's catalog as ResidentCollection reads it: the sharded catalog (manifest v3, read
 * piecewise) or, for data dirs of builders before it, one whole catalog file (manifest v1).
 */
export interface ResidentCatalog {
  readonly albums: CollectionAlbum[];
  albumItems(album: string, start: number, count: number): Promise<CatalogItem[]>;
  find(id: string): Promise<PlacedItem | undefined>;
  /** Items at catalog positions, the numbering of neighbour lists and of the duplicates file. */
  itemsAtPositions(positions: readonly number[]): Promise<CatalogItem[]>;
  /** Items of index rows, the numbering of the index's search hits. */
  itemsAtRows(rows: readonly number[]): Promise<CatalogItem[]>;
  everyItem(): Promise<CatalogItem[]>;
  /** The data-dir-relative files of the catalog. */
  files(): string[];
  /** Reads every file of the catalog (for a cache behind the source: offline visits), as `whenIdle` lets it. */
  readAll(whenIdle?: WhenIdle): Promise<void>;
}

/** Manifest v3: the sharded catalog; a position is the item's place in album order, `row` its index row. */
export function shardedResidentCatalog(reader: CatalogReader): ResidentCatalog {
  const plain = async (items: Promise<ShardedItem[]>) => (await items).map(plainItem);
  const itemsAtPositions = (positions: readonly number[]) => plain(reader.itemsAtPositions(positions));
  return {
    albums: reader.albums.map((a) => ({ name: a.name, count: a.count, cover: a.cover })),
    albumItems: (album, start, count) => plain(reader.albumItems(album, start, count)),
    async find(id) {
      const it = await reader.itemById(id);
      return it && { item: plainItem(it), position: it.position, row: it.row };
    },
    itemsAtPositions,
    async itemsAtRows(rows) {
      const positionOf = await reader.positionsOfRows();
      return itemsAtPositions(
        rows.map((r) => {
          if (!Number.isInteger(r) || r < 0 || r >= positionOf.length)
            throw new RangeError(`no index row ${r}`);
          return positionOf[r];
        }),
      );
    },
    everyItem: () => plain(reader.everyItem()),
    files: () => reader.files(),
    readAll: (whenIdle) => reader.readAll(whenIdle),
  };
}

/** Manifest v1 (builders before the sharded catalog): `items[i]` is index row i and catalog position i. */
export function wholeResidentCatalog(path: string, json: unknown, count: number): ResidentCatalog {
  const catalog: Catalog = parseCatalog(json, count);
  const rowOfId = new Map<string, number>();
  const rowsOfAlbum = new Map<string, number[]>();
  catalog.items.forEach((item, row) => {
    rowOfId.set(item.id, row);
    const rows = rowsOfAlbum.get(item.album);
    if (rows) rows.push(row);
    else rowsOfAlbum.set(item.album, [row]);
  });
  const at = (rows: readonly number[]) =>
    Promise.resolve(
      rows.map((r) => {
        const item = catalog.items[r];
        if (item === undefined) throw new RangeError(`no item at catalog position ${r}`);
        return item;
      }),
    );
  return {
    albums: catalog.albums.map((a) => ({
      name: a.name,
      count: a.count,
      cover: { id: a.cover, thumb: catalog.items[rowOfId.get(a.cover) as number].thumb },
    })),
    albumItems: (album, start, count) =>
      at((rowsOfAlbum.get(album) ?? []).slice(Math.max(0, start), Math.max(0, start + count))),
    async find(id) {
      const row = rowOfId.get(id);
      return row === undefined ? undefined : { item: catalog.items[row], position: row, row };
    },
    itemsAtPositions: at,
    itemsAtRows: at,
    everyItem: () => Promise.resolve(catalog.items),
    files: () => [path],
    readAll: () => Promise.resolve(),
  };
}
