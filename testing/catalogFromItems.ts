import {
  CATALOG_VERSION,
  parseCatalog,
  type Catalog,
  type CatalogAlbum,
  type CatalogItem,
} from '../core/catalog';

/**
 * Builds a catalog from items already in index-row order: albums sorted by name, each album's cover
 * its first item. Throws like parseCatalog if the items are inconsistent. For tests that need a valid
 * catalog.json without running the builder.
 */
export function catalogFromItems(items: CatalogItem[]): Catalog {
  const albums = new Map<string, CatalogAlbum>();
  for (const it of items) {
    const a = albums.get(it.album);
    if (a) a.count++;
    else albums.set(it.album, { name: it.album, count: 1, cover: it.id });
  }
  const sorted = [...albums.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return parseCatalog({ version: CATALOG_VERSION, albums: sorted, items });
}
