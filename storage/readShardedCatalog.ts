import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  idShardPath,
  itemShardCount,
  itemShardPath,
  parseCatalogIndex,
  parseItemShard,
  type CatalogIndex,
  type ShardedItem,
} from '../core/catalogShards';
import { crc32 } from '../core/crc32';
import type { ShardedManifest } from '../core/manifest';
import { sha256Hex } from '../core/sha256';

/** Every item of a sharded catalog, read and verified from a local data dir (deploy, tools). */
export async function readShardedCatalog(
  dataDir: string,
  manifest: ShardedManifest,
): Promise<{ index: CatalogIndex; items: ShardedItem[]; shardPaths: string[] }> {
  const indexBytes = await readFile(join(dataDir, manifest.catalog.path));
  if (sha256Hex(indexBytes) !== manifest.catalog.sha256)
    throw new Error(`${manifest.catalog.path} does not match the manifest's sha256`);
  const index = parseCatalogIndex(JSON.parse(indexBytes.toString('utf8')), manifest.count);
  const items: ShardedItem[] = [];
  const shardPaths: string[] = [];
  for (let s = 0; s < itemShardCount(index); s++) {
    const path = itemShardPath(index, s);
    const bytes = await readFile(join(dataDir, path));
    if (crc32(bytes) !== index.itemShardCrc[s]) throw new Error(`${path} does not match its checksum`);
    items.push(...parseItemShard(JSON.parse(bytes.toString('utf8')), index, s));
    shardPaths.push(path);
  }
  for (let i = 0; i < index.idShardCrc.length; i++) {
    const prefix = index.idPrefixDigits === 0 ? '' : i.toString(16).padStart(index.idPrefixDigits, '0');
    shardPaths.push(idShardPath(index, prefix));
  }
  return { index, items, shardPaths };
}
