import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { duplicateShardPaths, parseDuplicatesFile } from '../core/duplicatesFormat';
import { isShardedManifest, parseManifest, type FileRef, type Manifest } from '../core/manifest';
import {
  BUILD_LOCK_FILE,
  MANIFEST_FILE,
  MEDIA_FOLDERS,
  RETAINED_FILES,
  isPassiveDataFile,
  ownedTopLevel,
  parseRetainedFiles,
} from '../storage/dataDirNames';
import { buildLockPid, isAlive } from '../storage/buildLockHolder';
import { readCatalogReferences, type CatalogReferences } from '../storage/catalogReferences';

const BUILD_HINT =
  'build one with `npm run build-index -- --source <images> --data-dir <dir>` (or `npm start` for the demo data)';
/** Thumbnails and originals are published only as image types browsers show and never run. */
const PLAIN_RASTER = /\.(jpe?g|png|gif|webp|avif)$/i;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function readJson(dataDir: string, path: string): Promise<unknown> {
  const text = await readFile(join(dataDir, path), 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${join(dataDir, path)} is not valid JSON (${(err as Error).message}): ${BUILD_HINT}`, {
      cause: err,
    });
  }
}

/** What of a data dir gets published: the manifest and exactly the files reachable from it. */
interface PublishedDataSet {
  manifest: Manifest;
  /** Data-dir-relative paths, manifest.json included. */
  paths: Set<string>;
  /** The thumbnails and originals the catalog names (all in `paths`): what deploy checks before publishing. */
  media: Set<string>;
  /** The previous build's build files among `paths` (retainedPaths): kept in a bucket, never added to one. */
  retained: Set<string>;
}

/**
 * Checked first, before anything is built or read: there is a finished data dir to publish, and no
 * build is writing it. A lock whose build no longer runs is only reported: the manifest is replaced
 * last, so it and what it names are the last finished build's (and readPublishedDataSet checks them).
 */
export async function assertDataDirReady(dataDir: string, log: (line: string) => void): Promise<void> {
  if (!(await exists(join(dataDir, MANIFEST_FILE)))) {
    throw new Error(`${dataDir} has no ${MANIFEST_FILE}: ${BUILD_HINT}`);
  }
  const holder = await buildLockPid(dataDir);
  if (holder === undefined) return;
  if (Number.isInteger(holder) && isAlive(holder)) {
    throw new Error(
      `a build (pid ${holder}) is writing ${dataDir} (${BUILD_LOCK_FILE} is there); deploy once it has finished`,
    );
  }
  log(
    `${BUILD_LOCK_FILE} in ${dataDir} is left by a build that stopped${Number.isInteger(holder) ? ` (pid ${holder})` : ''}: ` +
      'publishing the last finished build (the next build-index removes the lock)',
  );
}

/**
 * Reads the manifest and the catalog and returns the files the app can reach, and the previous build's
 * build files (retainedPaths). Anything else in the data dir (build-report.json, which names the
 * source, the previous build's thumbnails and originals, notes, leftovers) stays private.
 * Fails when they name files that are not in `presentPaths` (what is on disk).
 */
export async function readPublishedDataSet(
  dataDir: string,
  presentPaths: Set<string>,
): Promise<PublishedDataSet> {
  let manifest: Manifest;
  try {
    manifest = parseManifest(await readJson(dataDir, MANIFEST_FILE));
  } catch (err) {
    throw new Error(`${join(dataDir, MANIFEST_FILE)}: ${(err as Error).message}`, { cause: err });
  }
  const refs = [
    manifest.index,
    manifest.catalog,
    manifest.model.file,
    ...(manifest.duplicates ? [manifest.duplicates.file] : []),
  ];
  const paths = new Set([MANIFEST_FILE, ...refs.map((r) => r.path)]);
  const missingRef = refs.find((r) => !presentPaths.has(r.path));
  if (missingRef)
    throw new Error(`${dataDir}: ${missingRef.path}, named by the manifest, is missing: ${BUILD_HINT}`);
  // Read as the site reads it (storage/catalogReferences.ts); serve answers the same media.
  let catalog: CatalogReferences;
  try {
    catalog = await readCatalogReferences(dataDir, manifest);
  } catch (err) {
    throw new Error(`${dataDir}: ${(err as Error).message}: ${BUILD_HINT}`, { cause: err });
  }
  for (const path of catalog.catalogFiles) {
    if (!presentPaths.has(path))
      throw new Error(`${dataDir}: catalog file ${path} is missing: ${BUILD_HINT}`);
    paths.add(path);
  }
  if (manifest.duplicates) {
    const path = manifest.duplicates.file.path;
    let shards: string[];
    try {
      shards = duplicateShardPaths(parseDuplicatesFile(await readJson(dataDir, path), manifest.count));
    } catch (err) {
      throw new Error(`${join(dataDir, path)}: ${(err as Error).message}`, { cause: err });
    }
    for (const shard of shards) {
      if (!presentPaths.has(shard)) throw new Error(`duplicates shard ${shard} is missing: ${BUILD_HINT}`);
      paths.add(shard);
    }
  }
  for (const ref of neighbourShards(manifest)) {
    if (!presentPaths.has(ref.path)) throw new Error(`neighbour shard ${ref.path} is missing: ${BUILD_HINT}`);
    paths.add(ref.path);
  }
  const { media } = catalog;
  const missing = [...media].filter((path) => !presentPaths.has(path));
  if (missing.length > 0) {
    throw new Error(
      `${dataDir}: ${missing.length} files the catalog names are missing, e.g. ${missing.slice(0, 3).join(', ')}`,
    );
  }
  for (const path of media) paths.add(path);
  const active = [...media].filter((p) => !PLAIN_RASTER.test(p));
  if (active.length > 0) {
    throw new Error(
      `${dataDir}: ${active.length} thumbnails or originals are not plain raster images (e.g. ${active[0]}), ` +
        'which the site would serve as active content from its own origin; rebuild the data dir with this ' +
        'version of build-index (it stores SVG and other formats as PNG)',
    );
  }
  const runnable = [...paths].filter((p) => !isPassiveDataFile(p));
  if (runnable.length > 0) {
    throw new Error(
      `${dataDir}: the manifest or the catalog names ${runnable.length} files of a type browsers can run ` +
        `or show as a page (e.g. ${runnable[0]}); the builder writes only JSON, binary files, the .onnx model ` +
        'and raster images, and deploy publishes nothing else',
    );
  }
  const retained = new Set((await retainedPaths(dataDir, presentPaths)).filter((p) => !paths.has(p)));
  for (const path of retained) paths.add(path);
  return { manifest, paths, media, retained };
}

/**
 * The previous build's build files that the builder keeps for a grace period (RETAINED_FILES, written
 * for this very manifest), so that tabs still on that build keep searching on the host too; `--delete`
 * removes them once a later build drops them. Only files on disk and of the kinds the builder owns.
 *
 * Never its thumbnails and originals: those the current catalog does not name are images removed from
 * the collection, or originals that still carry the metadata a rebuild without `--keep-metadata` took
 * out (GPS, author), and publishing them kept them public after `--delete`, and put them on a prefix
 * that never had that build (audit, December 2026). A tab of the previous build that asks for one of
 * them gets a 404 (or S3's 403): the page shows its "Image unavailable" tile, re-reads manifest.json and
 * moves to the current build (docs/index-format.md "Rebuilds"). The previous build's index, catalog and
 * neighbour lists stay: without them such a tab could not search or page at all, and they hold no image
 * (a removed image's name and vector stay public until the next build drops them).
 */
async function retainedPaths(dataDir: string, presentPaths: Set<string>): Promise<string[]> {
  const record = parseRetainedFiles(await readFile(join(dataDir, RETAINED_FILES), 'utf8').catch(() => ''));
  const manifestBytes = await readFile(join(dataDir, MANIFEST_FILE));
  if (
    record === undefined ||
    record.manifestSha256 !== createHash('sha256').update(manifestBytes).digest('hex')
  )
    return [];
  const out: string[] = [];
  for (const name of record.files) {
    if (MEDIA_FOLDERS.some((folder) => name.startsWith(`${folder}/`))) continue; // see above
    const owned = ownedTopLevel(name);
    if (owned === 'folder') {
      for (const p of presentPaths) if (p.startsWith(`${name}/`) && isPassiveDataFile(p)) out.push(p);
    } else if (owned === 'file') {
      if (presentPaths.has(name) && isPassiveDataFile(name)) out.push(name);
    }
  }
  return out;
}

/** The app verifies these hashes after downloading; a mismatch here would publish a site that cannot load. */
export function verifyManifestHashes(dataDir: string, manifest: Manifest, hashes: Map<string, string>): void {
  const refs: FileRef[] = [
    manifest.index,
    manifest.catalog,
    manifest.model.file,
    ...neighbourShards(manifest),
  ];
  for (const ref of refs) {
    if (hashes.get(ref.path) !== ref.sha256) {
      throw new Error(
        `${dataDir}: ${ref.path} does not match the sha256 in the manifest; rebuild the data dir`,
      );
    }
  }
}

function neighbourShards(manifest: Manifest): FileRef[] {
  return isShardedManifest(manifest) ? [] : (manifest.neighbours?.shards ?? []);
}
