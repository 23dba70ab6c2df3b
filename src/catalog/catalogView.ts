import type { Catalog, CatalogItem } from '../../core/catalog';

/** Look-ups the pages need, built once per loaded catalog (11k items: a few milliseconds). */
export interface CatalogView {
  catalog: Catalog;
  itemById: ReadonlyMap<string, CatalogItem>;
  /** Items of each album, in catalog order. */
  itemsByAlbum: ReadonlyMap<string, readonly CatalogItem[]>;
}

export function buildCatalogView(catalog: Catalog): CatalogView {
  const itemById = new Map<string, CatalogItem>();
  const itemsByAlbum = new Map<string, CatalogItem[]>();
  for (const item of catalog.items) {
    itemById.set(item.id, item);
    const list = itemsByAlbum.get(item.album);
    if (list) list.push(item);
    else itemsByAlbum.set(item.album, [item]);
  }
  return { catalog, itemById, itemsByAlbum };
}
