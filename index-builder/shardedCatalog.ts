import type { CatalogItem } from '../core/catalog';
import {
  idShardPrefixes,
  CATALOG_INDEX_FORMAT,
  CATALOG_INDEX_VERSION,
  encodePositions,
  encodeVector,
  idShardPath,
  itemShardPath,
  parseCatalogIndex,
  positionsPath,
  type CatalogIndex,
  type ShardedAlbum,
} from '../core/catalogShards';
import { crc32 } from '../core/crc32';
import { sha256Hex } from '../core/sha256';

/** Items per item shard: an album page or a result list touches few shards of a few tens of KB. */
const DEFAULT_SHARD_SIZE = 128;
/**
 * A resident build's item shards: 64 items are about 20 KB (3.5 KB gzipped) for the demo, so an album
 * page of 128 (src/albumPage/albumPages.ts) reads 2–3 of them and a result list of 10 at most 10 — a few
 * to a few tens of KB gzipped. Its items carry no vector (index v1 holds them).
 */
const RESIDENT_SHARD_SIZE = 64;
/** Ids per id shard the prefix length aims at. */
const IDS_PER_SHARD = 256;

interface ShardedCatalogFiles {
  index: CatalogIndex;
  indexBytes: Uint8Array;
  /** Shard files by path relative to the data dir (all under index.dir). */
  files: Map<string, Uint8Array>;
}

/** Bytes of a written catalog: its index and every shard (the build report's catalog size). */
export function catalogBytes(catalog: ShardedCatalogFiles): number {
  let bytes = catalog.indexBytes.length;
  for (const b of catalog.files.values()) bytes += b.length;
  return bytes;
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/**
 * A sharded build's catalog: items in position order (albums contiguous, albums sorted by name),
 * rowOfPosition[p] the index row of item p in its own cell, vectorOfRow its int8 vector (carried by its item).
 */
export function buildShardedCatalog(
  items: CatalogItem[],
  rowOfPosition: Uint32Array,
  vectorOfRow: (row: number) => Int8Array,
  shardSize = DEFAULT_SHARD_SIZE,
): ShardedCatalogFiles {
  return writeCatalog(items, rowOfPosition, vectorOfRow, shardSize);
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A resident build's catalog: `items` in the order an album lists them (the source listing),
 * rowOfItem[i] the index v1 row of items[i]. Positions are albums sorted by name, each in that order;
 * `positionOfRow` (also written as the catalog's positions file) and `items` by position are returned
 * for what else the build numbers by position (neighbour lists, duplicates).
 */
export function buildResidentCatalog(
  items: CatalogItem[],
  rowOfItem: ArrayLike<number>,
  shardSize = RESIDENT_SHARD_SIZE,
): ShardedCatalogFiles & { positionOfRow: Uint32Array; positionItems: CatalogItem[] } {
  // A stable sort keeps the listing order inside an album.
  const byPosition = items.map((_, i) => i).sort((a, b) => byName(items[a].album, items[b].album));
  const rowOfPosition = Uint32Array.from(byPosition, (i) => rowOfItem[i]);
  const positionOfRow = new Uint32Array(items.length).fill(0xffffffff);
  rowOfPosition.forEach((row, p) => {
    if (row >= items.length || positionOfRow[row] !== 0xffffffff)
      throw new Error(`index row ${row} is not a row or is given to two items`);
    positionOfRow[row] = p;
  });
  const positionItems = byPosition.map((i) => items[i]);
  const files = writeCatalog(positionItems, rowOfPosition, undefined, shardSize, positionOfRow);
  return { ...files, positionOfRow, positionItems };
}

/**
 * Splits a catalog whose items are in position order into item shards and id shards (and, resident,
 * the positions file). The shard folder is named after a hash of all its files, so a new build never
 * overwrites files an old page still reads.
 */
function writeCatalog(
  items: CatalogItem[],
  rowOfPosition: Uint32Array,
  vectorOfRow: ((row: number) => Int8Array) | undefined,
  shardSize: number,
  positionOfRow?: Uint32Array,
): ShardedCatalogFiles {
  const count = items.length;
  const albums: ShardedAlbum[] = [];
  items.forEach((it, p) => {
    const last = albums[albums.length - 1];
    if (last !== undefined && last.name === it.album) last.count++;
    else {
      if (albums.some((a) => a.name === it.album)) throw new Error(`album '${it.album}' is not contiguous`);
      albums.push({ name: it.album, count: 1, start: p, cover: { id: it.id, thumb: it.thumb } });
    }
  });
  const shardBytes: Uint8Array[] = [];
  for (let start = 0; start < count; start += shardSize) {
    const shardItems = items.slice(start, start + shardSize).map((it, i) => {
      const row = rowOfPosition[start + i];
      return vectorOfRow === undefined
        ? { ...it, row }
        : { ...it, row, vector: encodeVector(vectorOfRow(row)) };
    });
    shardBytes.push(json({ items: shardItems }));
  }
  const idPrefixDigits = Math.max(0, Math.min(6, Math.ceil(Math.log(count / IDS_PER_SHARD) / Math.log(16))));
  const prefixes = idShardPrefixes(idPrefixDigits);
  const idMaps = new Map(prefixes.map((p) => [p, {} as Record<string, number>]));
  items.forEach((it, p) => {
    const map = idMaps.get(it.id.slice(0, idPrefixDigits));
    if (map === undefined) throw new Error(`item id '${it.id}' is not lowercase hex`);
    if (it.id in map) throw new Error(`item id '${it.id}' is used twice`);
    map[it.id] = p;
  });
  const idBytes = prefixes.map((p) => json({ ids: idMaps.get(p) }));
  const positionsBytes = positionOfRow && encodePositions(positionOfRow);

  const everyFile = [...shardBytes, ...idBytes, ...(positionsBytes ? [positionsBytes] : [])];
  const all = new Uint8Array(everyFile.reduce((n, b) => n + b.length + 1, 0));
  let at = 0;
  for (const b of everyFile) {
    all.set(b, at);
    at += b.length + 1; // a separator, so moving bytes between shards changes the hash
  }
  const dir = `shards.${sha256Hex(all).slice(0, 16)}/`;
  const index: CatalogIndex = {
    format: CATALOG_INDEX_FORMAT,
    version: CATALOG_INDEX_VERSION,
    count,
    shardSize,
    dir,
    idPrefixDigits,
    albums,
    itemShardCrc: shardBytes.map(crc32),
    idShardCrc: idBytes.map(crc32),
    ...(positionsBytes ? { positionsCrc: crc32(positionsBytes) } : {}),
  };
  parseCatalogIndex(index, { count, layout: positionsBytes ? 'resident' : 'sharded' });
  const files = new Map<string, Uint8Array>();
  shardBytes.forEach((b, s) => files.set(itemShardPath(index, s), b));
  idBytes.forEach((b, i) => files.set(idShardPath(index, prefixes[i]), b));
  if (positionsBytes) files.set(positionsPath(index), positionsBytes);
  return { index, indexBytes: json(index), files };
}
