import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCatalog, type Catalog } from '../core/catalog';
import { decodeIndex } from '../core/indexFormat';
import type { LshIndex } from '../core/lshIndex';
import { parseManifest, type FileRef, type Manifest } from '../core/manifest';
import { contentHash } from './contentAddress';
import { MANIFEST_FILE } from '../storage/dataDirNames';
import type { LoadedModel } from './loadModel';

/** A data dir read back the way the site reads it: manifest first, then verified index and catalog. */
export interface LoadedDataDir {
  manifest: Manifest;
  index: LshIndex;
  catalog: Catalog;
  /** The model that made the vectors, for featurizing query images. */
  model: LoadedModel;
}

async function readVerified(dir: string, ref: FileRef, what: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, ref.path));
  } catch (err) {
    throw new Error(
      `${what} ${ref.path} is missing from ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      { cause: err },
    );
  }
  if (bytes.length !== ref.bytes || contentHash(bytes) !== ref.sha256) {
    throw new Error(`${what} ${ref.path} in ${dir} does not match its manifest entry (size or SHA-256)`);
  }
  // A fresh, 8-byte aligned copy: the index is decoded into typed-array views over it.
  return new Uint8Array(bytes);
}

export async function loadDataDir(dir: string): Promise<LoadedDataDir> {
  let manifestText: string;
  try {
    manifestText = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    throw new Error(
      `${dir} has no ${MANIFEST_FILE} (${(err as NodeJS.ErrnoException).code ?? err}); build it first`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(manifestText);
  } catch (err) {
    throw new Error(`${join(dir, MANIFEST_FILE)} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const manifest = parseManifest(json);
  const index = decodeIndex(await readVerified(dir, manifest.index, 'index'));
  if (index.modelId !== manifest.model.id) {
    throw new Error(
      `index was built with model '${index.modelId}' but the manifest names '${manifest.model.id}'`,
    );
  }
  const catalogBytes = await readVerified(dir, manifest.catalog, 'catalog');
  const catalog = parseCatalog(JSON.parse(new TextDecoder().decode(catalogBytes)), index.count);
  await readVerified(dir, manifest.model.file, 'model');
  return {
    manifest,
    index,
    catalog,
    model: { spec: manifest.model.spec, onnxPath: join(dir, manifest.model.file.path) },
  };
}
