import type { Collection } from './collection';
import { DuplicatesReader } from './duplicatesReader';
import { errorInFile } from './formatVersion';

/**
 * The reader of a build's duplicates file (`bytes`, already checked against the manifest), whose members
 * come from the collection: the same catalog (and, sharded, the same cached shards) as album pages, in
 * the worker and in `npm run duplicates`.
 */
export function collectionDuplicates(
  bytes: Uint8Array,
  path: string,
  collection: Collection,
): DuplicatesReader {
  try {
    return DuplicatesReader.fromBytes(bytes, null, collection.count, {
      itemsAt: (positions) => collection.itemsAtPositions(positions),
      file: (shard, fresh) =>
        collection.layout === 'sharded'
          ? collection.dataFile(shard, fresh)
          : Promise.reject(new Error(`${path} names shard ${shard} but the build is not sharded`)),
    });
  } catch (err) {
    throw errorInFile(path, err);
  }
}
