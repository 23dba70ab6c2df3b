import { parseCatalogItem, type CatalogItem } from './catalog';
import { rejectNewerVersion } from './formatVersion';
import { nonEmptyString, nonNegativeInt, positiveInt, record, relativePath } from './jsonChecks';

/**
 * The sharded catalog (docs/index-format.md), the catalog of both layouts: a small catalog index
 * (albums, shard checksums) plus item shards in album order and id shards by id prefix, so a page never
 * downloads the whole catalog for its first screen. An item's position is its place in album order;
 * `row` is its row in the build's index (its own row in index v3 for the sharded layout, index v1 for the resident one).
 */
export const CATALOG_INDEX_FORMAT = 'lookalike-catalog-index';
export const CATALOG_INDEX_VERSION = 1;

export interface ShardedAlbum {
  name: string;
  count: number;
  /** Position of the album's first item; its items are positions start ..< start + count. */
  start: number;
  cover: { id: string; thumb: string };
}

export interface CatalogIndex {
  format: typeof CATALOG_INDEX_FORMAT;
  version: typeof CATALOG_INDEX_VERSION;
  count: number;
  /** Items per item shard: shard s holds positions s·shardSize ..< (s+1)·shardSize. */
  shardSize: number;
  /** Folder of the shards, relative to the manifest, ending in '/'. */
  dir: string;
  /** Hex digits of the id that name its id shard (0 = one shard). */
  idPrefixDigits: number;
  albums: ShardedAlbum[];
  /** CRC-32 of each item shard file `<dir>items/<s>.json`. */
  itemShardCrc: number[];
  /** CRC-32 of each id shard file `<dir>ids/<prefix>.json`, in prefix order. */
  idShardCrc: number[];
  /**
   * Resident layout only: CRC-32 of `<dir>positions.bin`, the catalog position of each index v1 row
   * (u32 LE): index v1 orders rows by LSH bucket, and its search answers with rows.
   */
  positionsCrc?: number;
}

/**
 * Which layout a catalog belongs to decides two fields: a sharded build's items carry their index
 * vector (its album-image query has no index to take it from) and it has no positions file; a resident
 * build's items carry no vector (its index holds them) and it has one.
 */
export type CatalogLayout = 'resident' | 'sharded';

export interface ShardedItem extends CatalogItem {
  position: number;
  row: number;
  /**
   * Sharded layout only: the item's int8 index vector (as in its index row), base64, so an album-image
   * query needs no extra fetch; decoded (decodeVector) only when the item is queried.
   */
  vector?: string;
}

/** int8 vector ↔ base64 of its bytes: 128 characters for 96 dims. */
export function encodeVector(v: Int8Array): string {
  let binary = '';
  for (let i = 0; i < v.length; i++) binary += String.fromCharCode(v[i] & 0xff);
  return btoa(binary);
}

export function decodeVector(text: string): Int8Array {
  const binary = atob(text);
  const out = new Int8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = (binary.charCodeAt(i) << 24) >> 24;
  return out;
}

function fail(path: string, message: string): never {
  throw new Error(`invalid sharded catalog: ${path} ${message}`);
}

function u32(v: unknown, path: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) fail(path, 'is not a u32');
  return v as number;
}

function crcList(v: unknown, path: string, length: number): number[] {
  if (!Array.isArray(v) || v.length !== length) fail(path, `must be an array of ${length} CRC-32 values`);
  return v.map((x, i) => u32(x, `${path}[${i}]`));
}

export function itemShardCount(index: Pick<CatalogIndex, 'count' | 'shardSize'>): number {
  return Math.ceil(index.count / index.shardSize);
}

export function itemShardPath(index: Pick<CatalogIndex, 'dir'>, shard: number): string {
  return `${index.dir}items/${shard}.json`;
}

export function idShardPrefix(index: Pick<CatalogIndex, 'idPrefixDigits'>, id: string): string {
  return id.slice(0, index.idPrefixDigits);
}

export function idShardPath(index: Pick<CatalogIndex, 'dir'>, prefix: string): string {
  return `${index.dir}ids/${prefix === '' ? '_' : prefix}.json`;
}

/** Every id-shard prefix of a catalog with ids split on their first `idPrefixDigits` hex digits. */
export function idShardPrefixes(idPrefixDigits: number): string[] {
  return Array.from({ length: 16 ** idPrefixDigits }, (_, i) =>
    idPrefixDigits === 0 ? '' : i.toString(16).padStart(idPrefixDigits, '0'),
  );
}

export function positionsPath(index: Pick<CatalogIndex, 'dir'>): string {
  return `${index.dir}positions.bin`;
}

/** Every shard file of a catalog: item shards in order, then id shards, then the positions file if any. */
export function catalogShardPaths(index: CatalogIndex): string[] {
  return [
    ...Array.from({ length: itemShardCount(index) }, (_, s) => itemShardPath(index, s)),
    ...idShardPrefixes(index.idPrefixDigits).map((prefix) => idShardPath(index, prefix)),
    ...(index.positionsCrc === undefined ? [] : [positionsPath(index)]),
  ];
}

/** What a reader knows before it reads the catalog index: the manifest's count and layout. */
interface CatalogExpectation {
  count?: number;
  layout: CatalogLayout;
}

export function parseCatalogIndex(json: unknown, expected: CatalogExpectation): CatalogIndex {
  const expectedCount = expected.count;
  const c = record(json, '(root)', fail);
  if (c.format !== CATALOG_INDEX_FORMAT) fail('format', `must be '${CATALOG_INDEX_FORMAT}'`);
  rejectNewerVersion('catalog index', c.version, CATALOG_INDEX_VERSION);
  if (c.version !== CATALOG_INDEX_VERSION) fail('version', `must be ${CATALOG_INDEX_VERSION}`);
  const count = positiveInt(c.count, 'count', fail);
  if (expectedCount !== undefined && count !== expectedCount)
    fail('count', `is ${count} but the index has ${expectedCount} rows`);
  const shardSize = positiveInt(c.shardSize, 'shardSize', fail);
  if (typeof c.dir !== 'string' || !c.dir.endsWith('/')) fail('dir', "must be a folder path ending in '/'");
  const dir = `${relativePath(c.dir.slice(0, -1), 'dir', fail)}/`;
  const idPrefixDigits = nonNegativeInt(c.idPrefixDigits, 'idPrefixDigits', fail);
  if (idPrefixDigits > 6) fail('idPrefixDigits', 'must be ≤ 6');
  if (!Array.isArray(c.albums) || c.albums.length === 0) fail('albums', 'must be a non-empty array');
  let next = 0;
  const albums = c.albums.map((v, i): ShardedAlbum => {
    const r = record(v, `albums[${i}]`, fail);
    const cover = record(r.cover, `albums[${i}].cover`, fail);
    const album: ShardedAlbum = {
      name: nonEmptyString(r.name, `albums[${i}].name`, fail),
      count: positiveInt(r.count, `albums[${i}].count`, fail),
      start: nonNegativeInt(r.start, `albums[${i}].start`, fail),
      cover: {
        id: nonEmptyString(cover.id, `albums[${i}].cover.id`, fail),
        thumb: relativePath(cover.thumb, `albums[${i}].cover.thumb`, fail),
      },
    };
    // Albums tile the positions in order: that is what lets an album page map to item shards.
    if (album.start !== next) fail(`albums[${i}].start`, `is ${album.start}, expected ${next}`);
    next += album.count;
    return album;
  });
  if (next !== count) fail('albums', `cover ${next} positions but count is ${count}`);
  const index = { count, shardSize, dir, idPrefixDigits };
  if (expected.layout === 'sharded' && c.positionsCrc !== undefined)
    fail('positionsCrc', 'is for resident builds only (a sharded index names the position of each row)');
  if (expected.layout === 'resident' && c.positionsCrc === undefined)
    fail('positionsCrc', 'is missing (a resident build maps its index rows to catalog positions)');
  return {
    format: CATALOG_INDEX_FORMAT,
    version: CATALOG_INDEX_VERSION,
    ...index,
    albums,
    itemShardCrc: crcList(c.itemShardCrc, 'itemShardCrc', itemShardCount(index)),
    idShardCrc: crcList(c.idShardCrc, 'idShardCrc', 16 ** idPrefixDigits),
    ...(c.positionsCrc === undefined ? {} : { positionsCrc: u32(c.positionsCrc, 'positionsCrc') }),
  };
}

/** The layout a parsed catalog index was written for. */
function catalogLayout(index: CatalogIndex): CatalogLayout {
  return index.positionsCrc === undefined ? 'sharded' : 'resident';
}

/** Validates an item shard: the items at positions shard·shardSize onwards, in order. */
export function parseItemShard(json: unknown, index: CatalogIndex, shard: number): ShardedItem[] {
  const path = `items/${shard}`;
  const s = record(json, path, fail);
  const start = shard * index.shardSize;
  const expected = Math.min(index.shardSize, index.count - start);
  if (!Array.isArray(s.items) || s.items.length !== expected)
    fail(`${path}.items`, `must hold ${expected} items`);
  return s.items.map((v, i) => {
    const r = record(v, `${path}.items[${i}]`, fail);
    const row = nonNegativeInt(r.row, `${path}.items[${i}].row`, fail);
    if (row >= index.count) fail(`${path}.items[${i}].row`, `${row} is not a row of the index`);
    const { vector, row: _row, ...item } = r;
    const parsed = { ...parseCatalogItem(item, `${path}.items[${i}]`), position: start + i, row };
    if (catalogLayout(index) === 'resident') {
      if (vector !== undefined)
        fail(
          `${path}.items[${i}].vector`,
          'must be absent in a resident build (its index holds the vectors)',
        );
      return parsed;
    }
    if (vector === undefined)
      fail(`${path}.items[${i}].vector`, "is missing (a sharded build's items carry their index vector)");
    if (typeof vector !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(vector))
      fail(`${path}.items[${i}].vector`, 'must be base64');
    return { ...parsed, vector };
  });
}

/** Validates a positions file: u32 LE per index row, each a catalog position, every position once. */
export function parsePositions(bytes: Uint8Array, index: CatalogIndex): Uint32Array {
  if (bytes.length !== index.count * 4)
    fail('positions.bin', `has ${bytes.length} bytes, expected ${index.count * 4} (4 per row)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(index.count);
  const seen = new Uint8Array(index.count);
  for (let row = 0; row < index.count; row++) {
    const p = view.getUint32(row * 4, true);
    if (p >= index.count || seen[p] === 1)
      fail(`positions.bin[${row}]`, `${p} is not a position or is given twice`);
    seen[p] = 1;
    out[row] = p;
  }
  return out;
}

export function encodePositions(positionOfRow: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(positionOfRow.length * 4);
  const view = new DataView(bytes.buffer);
  positionOfRow.forEach((p, row) => view.setUint32(row * 4, p, true));
  return bytes;
}

/** Validates an id shard: { id: position } for every item whose id starts with the prefix. */
export function parseIdShard(json: unknown, index: CatalogIndex, prefix: string): Map<string, number> {
  const path = `ids/${prefix}`;
  const s = record(json, path, fail);
  const out = new Map<string, number>();
  for (const [id, position] of Object.entries(record(s.ids, `${path}.ids`, fail))) {
    if (!id.startsWith(prefix)) fail(`${path}.ids`, `'${id}' does not start with '${prefix}'`);
    if (!Number.isInteger(position) || (position as number) < 0 || (position as number) >= index.count)
      fail(`${path}.ids.${id}`, 'is not a position');
    out.set(id, position as number);
  }
  return out;
}
