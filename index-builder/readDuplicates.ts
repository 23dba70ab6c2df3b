import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectionDuplicates } from '../core/collectionDuplicates';
import type { DuplicatesReader } from '../core/duplicatesReader';
import type { Manifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { contentHash } from './contentAddress';
import { readDataDirManifest } from './openDataDir';
import { fileDataSource } from '../storage/fileDataSource';

/*
 * A data dir's duplicate groups read from Node with the reader the site's worker uses
 * (core/duplicatesReader.ts): `npm run duplicates` prints what the #/duplicates page shows.
 */

export class NoDuplicatesError extends Error {}

/** Opens the duplicates file of the build in `dir`; throws NoDuplicatesError for builds without one. */
export async function openDuplicates(dir: string): Promise<{ manifest: Manifest; reader: DuplicatesReader }> {
  const manifest = await readDataDirManifest(dir);
  const ref = manifest.duplicates?.file;
  if (ref === undefined) {
    throw new NoDuplicatesError(
      `${dir} was built without duplicate groups (an older build): rebuild it with npm run build-index`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(dir, ref.path)));
  } catch (err) {
    throw new Error(
      `duplicates file ${ref.path} is missing from ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      {
        cause: err,
      },
    );
  }
  if (bytes.length !== ref.bytes || contentHash(bytes) !== ref.sha256)
    throw new Error(
      `duplicates file ${ref.path} in ${dir} does not match its manifest entry (size or SHA-256)`,
    );
  // Members come from core's Collection, as on the site's #/duplicates page.
  const collection = await openCollection(manifest, fileDataSource(dir));
  const reader = collectionDuplicates(bytes, ref.path, collection);
  return { manifest, reader };
}
