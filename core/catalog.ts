import { rejectNewerVersion } from './formatVersion';
import { isRecord, nonEmptyString, nonNegativeInt, positiveInt, record, relativePath } from './jsonChecks';

export const CATALOG_VERSION = 1;

export interface CatalogAlbum {
  name: string;
  /** Number of items in the album. */
  count: number;
  /** Id of the item shown as the album's cover. */
  cover: string;
}

export interface CatalogItem {
  /** Unique, stable id (the builder uses the content hash). */
  id: string;
  album: string;
  /** Display name. */
  name: string;
  /** Thumbnail path, relative to the data dir. */
  thumb: string;
  /** Original image path, relative to the data dir. */
  original: string;
  width: number;
  height: number;
  /** Size of the original file in bytes (absent from catalogs before it). */
  bytes?: number;
  meta?: Record<string, string>;
}

/** catalog.<hash>.json: item i describes index row i (docs/index-format.md). */
export interface Catalog {
  version: typeof CATALOG_VERSION;
  albums: CatalogAlbum[];
  items: CatalogItem[];
}

function fail(path: string, message: string): never {
  throw new Error(`invalid catalog: ${path} ${message}`);
}

function meta(v: unknown, path: string): Record<string, string> {
  if (!isRecord(v)) fail(path, 'must be an object of strings');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v)) {
    if (typeof value !== 'string') fail(`${path}.${key}`, 'must be a string');
    out[key] = value;
  }
  return out;
}

/** Validates one catalog item (also used for the items of sharded catalogs). */
export function parseCatalogItem(v: unknown, path: string): CatalogItem {
  const r = record(v, path, fail);
  const out: CatalogItem = {
    id: nonEmptyString(r.id, `${path}.id`, fail),
    album: nonEmptyString(r.album, `${path}.album`, fail),
    name: nonEmptyString(r.name, `${path}.name`, fail),
    thumb: relativePath(r.thumb, `${path}.thumb`, fail),
    original: relativePath(r.original, `${path}.original`, fail),
    width: positiveInt(r.width, `${path}.width`, fail),
    height: positiveInt(r.height, `${path}.height`, fail),
  };
  if (r.bytes !== undefined) out.bytes = nonNegativeInt(r.bytes, `${path}.bytes`, fail);
  if (r.meta !== undefined) out.meta = meta(r.meta, `${path}.meta`);
  return out;
}

/** Checks that albums and items agree: unique ids and names, counts match, covers belong to their album. */
function checkConsistency(albums: CatalogAlbum[], items: CatalogItem[]): void {
  const albumOf = new Map<string, string>();
  items.forEach((it, i) => {
    if (albumOf.has(it.id)) fail(`items[${i}].id`, `'${it.id}' is used by more than one item`);
    albumOf.set(it.id, it.album);
  });
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it.album, (counts.get(it.album) ?? 0) + 1);
  const seen = new Set<string>();
  albums.forEach((a, i) => {
    if (seen.has(a.name)) fail(`albums[${i}].name`, `'${a.name}' appears more than once`);
    seen.add(a.name);
    const n = counts.get(a.name) ?? 0;
    if (a.count !== n) fail(`albums[${i}].count`, `is ${a.count} but ${n} items are in album '${a.name}'`);
    if (albumOf.get(a.cover) !== a.name)
      fail(`albums[${i}].cover`, `'${a.cover}' is not an item of album '${a.name}'`);
  });
  for (const name of counts.keys()) if (!seen.has(name)) fail('albums', `has no entry for album '${name}'`);
}

/**
 * Validates parsed catalog JSON and returns a fresh, well-typed Catalog; throws an Error naming the bad
 * field. `expectedCount` (the index's row count) is checked when given.
 */
export function parseCatalog(json: unknown, expectedCount?: number): Catalog {
  const c = record(json, '(root)', fail);
  rejectNewerVersion('catalog', c.version, CATALOG_VERSION);
  if (c.version !== CATALOG_VERSION)
    fail('version', `must be ${CATALOG_VERSION}, got ${JSON.stringify(c.version)}`);
  if (!Array.isArray(c.albums)) fail('albums', 'must be an array');
  if (!Array.isArray(c.items)) fail('items', 'must be an array');
  const albums = c.albums.map((v, i): CatalogAlbum => {
    const r = record(v, `albums[${i}]`, fail);
    return {
      name: nonEmptyString(r.name, `albums[${i}].name`, fail),
      count: positiveInt(r.count, `albums[${i}].count`, fail),
      cover: nonEmptyString(r.cover, `albums[${i}].cover`, fail),
    };
  });
  const items = c.items.map((v, i) => parseCatalogItem(v, `items[${i}]`));
  if (expectedCount !== undefined && items.length !== expectedCount) {
    fail('items', `has ${items.length} entries but the index has ${expectedCount} rows`);
  }
  checkConsistency(albums, items);
  return { version: CATALOG_VERSION, albums, items };
}
