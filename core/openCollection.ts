import type { Collection } from './collection';
import { isShardedManifest, type Manifest } from './manifest';
import { ResidentCollection } from './residentCollection';
import type { DataSource } from './dataSource';
import { ShardedReader, type CellStore } from './shardedReader';
import { ShardedCollection } from './shardedCollection';

interface OpenCollectionOptions {
  /** Sharded: where verified cells persist between sessions (IndexedDB in the worker). */
  cellStore?: CellStore;
  /** Sharded: bytes that came over the network so far; by default every byte read from the source. */
  networkBytes?: () => number;
  /** Resident: the source has checked each file against the manifest's sha256 already (the worker). */
  sourceVerifies?: boolean;
}

/**
 * The one way to open a build for reading, in the worker (HTTP + IndexedDB) and in Node (files):
 * the manifest's layout picks the resident or the sharded reader, both over `source`.
 */
export async function openCollection(
  manifest: Manifest,
  source: DataSource,
  options: OpenCollectionOptions = {},
): Promise<Collection> {
  if (!isShardedManifest(manifest)) return ResidentCollection.open(manifest, source, options.sourceVerifies);
  const reader = await ShardedReader.open(manifest, source, options.cellStore);
  return new ShardedCollection(reader, source, options.networkBytes);
}
