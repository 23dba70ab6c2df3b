import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuplicatesReader } from '../core/duplicatesReader';
import { isShardedManifest, parseManifest, type Manifest } from '../core/manifest';
import { ShardedCollection } from '../core/shardedCollection';
import { contentHash } from './contentAddress';
import { MANIFEST_FILE } from '../storage/dataDirNames';
import { fileDataSource } from '../storage/fileDataSource';
import { loadDataDir } from './loadDataDir';

/*
 * A data dir's duplicate groups read from Node with the reader the site's worker uses
 * (core/duplicatesReader.ts): `npm run duplicates` prints what the #/duplicates page shows.
 */

export class NoDuplicatesError extends Error {}

async function readManifest(dir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
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

/** Opens the duplicates file of the build in `dir`; throws NoDuplicatesError for builds without one. */
export async function openDuplicates(dir: string): Promise<{ manifest: Manifest; reader: DuplicatesReader }> {
  const manifest = await readManifest(dir);
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
  const files = fileDataSource(dir);
  if (isShardedManifest(manifest)) {
    const collection = await ShardedCollection.open(manifest, files);
    const reader = DuplicatesReader.fromBytes(bytes, null, manifest.count, {
      file: (path) => files.file(path),
      itemsAt: async (positions) =>
        Promise.all(
          positions.map(async (p) => {
            const [item] = await collection.itemsAt(p, 1);
            if (item === undefined) throw new Error(`no item at catalog position ${p}`);
            const { position: _p, row: _r, vector: _v, ...plain } = item;
            return plain;
          }),
        ),
    });
    return { manifest, reader };
  }
  const { catalog } = await loadDataDir(dir);
  const reader = DuplicatesReader.fromBytes(bytes, null, catalog.items.length, {
    file: (path) => Promise.reject(new Error(`${ref.path} names shard ${path} but the build is not sharded`)),
    itemsAt: async (positions) => positions.map((p) => catalog.items[p]),
  });
  return { manifest, reader };
}
