import type { CatalogItem } from '../core/catalog';
import {
  idShardPrefixes,
  CATALOG_INDEX_FORMAT,
  CATALOG_INDEX_VERSION,
  encodeVector,
  idShardPath,
  itemShardPath,
  parseCatalogIndex,
  type CatalogIndex,
  type ShardedAlbum,
} from '../core/catalogShards';
import { crc32 } from '../core/crc32';
import { sha256Hex } from '../core/sha256';

/** Items per item shard: an album page or a result list touches few shards of a few tens of KB. */
export const DEFAULT_SHARD_SIZE = 128;
/** Ids per id shard the prefix length aims at. */
const IDS_PER_SHARD = 256;

export interface ShardedCatalogFiles {
  index: CatalogIndex;
  indexBytes: Uint8Array;
  /** Shard files by path relative to the data dir (all under index.dir). */
  files: Map<string, Uint8Array>;
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/**
 * Splits a catalog whose items are in position order (albums contiguous, albums sorted by name) into
 * item shards and id shards. rowOfPosition[p] is the sharded-index row of item p, vectorOfRow its
 * int8 vector. The shard folder is
 * named after a hash of all shards, so a new build never overwrites files an old page still reads.
 */
export function buildShardedCatalog(
  items: CatalogItem[],
  rowOfPosition: Uint32Array,
  vectorOfRow: (row: number) => Int8Array,
  shardSize = DEFAULT_SHARD_SIZE,
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
      return { ...it, row, vector: encodeVector(vectorOfRow(row)) };
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

  const all = new Uint8Array([...shardBytes, ...idBytes].reduce((n, b) => n + b.length + 1, 0));
  let at = 0;
  for (const b of [...shardBytes, ...idBytes]) {
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
  };
  parseCatalogIndex(index);
  const files = new Map<string, Uint8Array>();
  shardBytes.forEach((b, s) => files.set(itemShardPath(index, s), b));
  idBytes.forEach((b, i) => files.set(idShardPath(index, prefixes[i]), b));
  return { index, indexBytes: json(index), files };
}
