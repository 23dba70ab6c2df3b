import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimilarityCalibration } from '../core/calibration';
import type { Collection } from '../core/collection';
import { parseManifest, type FileRef, type Manifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { readVerified } from '../core/verifiedRead';
import { MANIFEST_FILE } from '../storage/dataDirNames';
import { fileDataSource } from '../storage/fileDataSource';
import type { LoadedModel } from './loadModel';

/** A data dir opened the way the site opens it: manifest first, then core's reader of its layout. */
interface OpenedDataDir {
  manifest: Manifest;
  /** The same Collection (core/openCollection.ts) the site's worker searches, over the dir's files. */
  collection: Collection;
  /** The model that made the vectors, for featurizing query images. */
  model: LoadedModel;
  calibration: SimilarityCalibration | null;
}

export async function openDataDir(dir: string): Promise<OpenedDataDir> {
  const manifest = await readDataDirManifest(dir);
  const collection = await openCollection(manifest, fileDataSource(dir));
  await checkModelFile(dir, manifest);
  return {
    manifest,
    collection,
    model: { spec: manifest.model.spec, onnxPath: join(dir, manifest.model.file.path) },
    calibration: manifest.calibration ?? null,
  };
}

/** The data dir's manifest, parsed; a missing or invalid one says what `dir` should be. */
export async function readDataDirManifest(dir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    // A mistyped folder is said to be missing, not to lack a manifest.
    const missing = await missingFolder(dir);
    if (missing !== undefined)
      throw new Error(`${dir} ${missing}: give the data dir npm run build-index wrote`, { cause: err });
    throw new Error(
      `${dir} has no ${MANIFEST_FILE} (${(err as NodeJS.ErrnoException).code ?? String(err)}): is it a data dir written by npm run build-index?`,
      { cause: err },
    );
  }
  try {
    return parseManifest(JSON.parse(text));
  } catch (err) {
    throw new Error(`${join(dir, MANIFEST_FILE)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Why `dir` is no folder at all ('does not exist', 'is not a folder'), or undefined when it is one. */
async function missingFolder(dir: string): Promise<string | undefined> {
  try {
    return (await stat(dir)).isDirectory() ? undefined : 'is not a folder';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : undefined;
  }
}

/**
 * A file `ref` of the manifest in `dir`, read and checked against its entry by core/verifiedRead.ts (as
 * the site's reader does); errors name what it is (`what`), the file and the dir.
 */
export async function readManifestFile(dir: string, ref: FileRef, what: string): Promise<Uint8Array> {
  try {
    return await readVerified(fileDataSource(dir), ref);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined)
      throw new Error(`${what} ${ref.path} is missing from ${dir}: ${code}`, { cause: err });
    throw new Error(`${what} ${ref.path} in ${dir} does not match its manifest entry (size or SHA-256)`, {
      cause: err,
    });
  }
}

/** The model is only run for image queries, but a damaged one is reported when the dir is opened. */
async function checkModelFile(dir: string, manifest: Manifest): Promise<void> {
  await readManifestFile(dir, manifest.model.file, 'model');
}
