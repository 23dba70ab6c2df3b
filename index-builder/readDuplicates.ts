import { collectionDuplicates } from '../core/collectionDuplicates';
import type { DuplicatesReader } from '../core/duplicatesReader';
import type { Manifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { readDataDirManifest, readManifestFile } from './openDataDir';
import { fileDataSource } from '../storage/fileDataSource';

/*
 * A data dir's duplicate groups read from Node with the reader the site's worker uses
 * (core/duplicatesReader.ts): `npm run duplicates` prints what the #/duplicates page shows.
 */

class NoDuplicatesError extends Error {}

/** Opens the duplicates file of the build in `dir`; throws NoDuplicatesError for builds without one. */
export async function openDuplicates(dir: string): Promise<{ manifest: Manifest; reader: DuplicatesReader }> {
  const manifest = await readDataDirManifest(dir);
  const ref = manifest.duplicates?.file;
  if (ref === undefined) {
    throw new NoDuplicatesError(
      `${dir} was built without duplicate groups (an older build): rebuild it with npm run build-index`,
    );
  }
  const bytes = await readManifestFile(dir, ref, 'duplicates file');
  // Members come from core's Collection, as on the site's #/duplicates page.
  const collection = await openCollection(manifest, fileDataSource(dir));
  const reader = collectionDuplicates(bytes, ref.path, collection);
  return { manifest, reader };
}
