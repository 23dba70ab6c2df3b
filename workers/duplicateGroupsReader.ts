import { DuplicatesReader } from '../core/duplicatesReader';
import type { FileRef, Manifest } from '../core/manifest';
import type { Collection } from './collection';
import { RangeCollection } from './rangeCollection';

/*
 * The worker's side of duplicateGroups(): opens the build's duplicates file on first use (downloaded
 * and verified like every data file, kept in IndexedDB) and reads its groups through the collection,
 * so members come from the same catalog (and, sharded, the same cached shards) as album pages.
 */

/** Opens the reader of the build's duplicates file; null when the build has none (older builds). */
export async function openDuplicatesReader(
  manifest: Manifest,
  collection: Collection,
  loadVerified: (ref: FileRef) => Promise<ArrayBuffer>,
): Promise<DuplicatesReader | null> {
  const ref = manifest.duplicates?.file;
  if (ref === undefined) return null;
  const bytes = new Uint8Array(await loadVerified(ref));
  try {
    // loadVerified checked the sha256 already.
    return DuplicatesReader.fromBytes(bytes, null, collection.count, {
      itemsAt: (positions) => collection.itemsAtPositions(positions),
      file: (path, fresh) => {
        if (collection instanceof RangeCollection) return collection.dataFile(path, fresh);
        return Promise.reject(new Error(`${ref.path} names shard ${path} but the build is not sharded`));
      },
    });
  } catch (err) {
    throw new Error(`${ref.path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
