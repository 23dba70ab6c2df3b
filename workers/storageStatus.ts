import { isShardedManifest, type Manifest } from '../core/manifest';
import type { DataCache } from './dataCache';
import type { StorageStatus } from './searchApi';

/**
 * What of the build described by `manifest` this browser keeps for the next visit: its collection's
 * files, and the model once it has loaded. Entries refused for quota are first tried again, as space
 * may have come free since.
 */
export async function storageStatus(
  cache: DataCache,
  manifest: Manifest | undefined,
  modelLoaded: boolean,
): Promise<StorageStatus> {
  let free = await freeBytes();
  if (await cache.storeUnkept(free)) free = await freeBytes();
  const notKept: StorageStatus['notKept'] = [];
  if (manifest) {
    // A resident build's catalog shards are parts under its catalog's sha256 (workers/openCachedCollection.ts).
    const collectionKept = isShardedManifest(manifest)
      ? cache.partsKept(manifest.index.sha256)
      : [manifest.index, manifest.catalog, ...(manifest.neighbours?.shards ?? [])].every((ref) =>
          cache.isKept(ref.sha256),
        ) && cache.partsKept(manifest.catalog.sha256);
    if (!collectionKept) notKept.push('collection');
    if (modelLoaded && !cache.isKept(manifest.model.file.sha256)) notKept.push('model');
  }
  return { notKept, reason: notKept.length > 0 ? cache.notKeptReason : null, freeBytes: free };
}

async function freeBytes(): Promise<number | null> {
  try {
    const { quota, usage } = await navigator.storage.estimate();
    return quota === undefined || usage === undefined ? null : Math.max(0, quota - usage);
  } catch {
    return null;
  }
}
