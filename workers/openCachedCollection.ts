import type { Collection } from '../core/collection';
import { errorInFile } from '../core/formatVersion';
import { httpDataSource } from '../core/httpDataSource';
import {
  WHOLE_CATALOG_MANIFEST_VERSION,
  isShardedManifest,
  type FileRef,
  type Manifest,
  type ResidentManifest,
  type ShardedManifest,
} from '../core/manifest';
import { openCollection } from '../core/openCollection';
import type { DataSource } from '../core/dataSource';
import { openCachedDataSource } from './cachedDataSource';
import type { BuildUses, DataCache } from './dataCache';
import type { ReportProgress } from './progressThrottle';
import type { LoadStage } from './searchApi';
import { loadVerifiedFile } from './verifiedFile';

/** A collection as a build's manifest describes it, with what its load cost. */
export interface OpenedCollection {
  collection: Collection;
  /** Whether every file came from IndexedDB. */
  fromCache: boolean;
  /** Bytes fetched over the network for it. */
  fetchedBytes: number;
  /** What the cache must keep for this build (DataCache.keepBuild). */
  uses: BuildUses;
}

/**
 * Opens the manifest's collection with core's reader (core/openCollection.ts, the one `npm run query`
 * uses) over HTTP with IndexedDB in front, and says which files (and, for the sharded layout, parts)
 * the cache must keep for it.
 */
export function openCachedCollection(
  dataUrl: string,
  manifest: Manifest,
  cache: DataCache,
  report: ReportProgress,
): Promise<OpenedCollection> {
  return isShardedManifest(manifest)
    ? openSharded(dataUrl, manifest, cache, report)
    : openResident(dataUrl, manifest, cache, report);
}

/**
 * The catalog index now; catalog shards, the index and neighbour shards when pages and queries need them
 * (core/residentCollection.ts). Each manifest file is verified and kept in IndexedDB by loadVerifiedFile;
 * catalog shards (checked by the catalog reader against the catalog index's CRC-32s) are kept as parts
 * of the build's catalog, as a sharded build's are.
 */
async function openResident(
  dataUrl: string,
  manifest: ResidentManifest,
  cache: DataCache,
  report: ReportProgress,
): Promise<OpenedCollection> {
  const files = new Map<string, [FileRef, LoadStage | null]>([
    [manifest.index.path, [manifest.index, 'index']],
    [manifest.catalog.path, [manifest.catalog, 'catalog']],
    // Shards of a few tens of KB, fetched one per query at most: not worth a progress line.
    ...(manifest.neighbours?.shards ?? []).map((ref): [string, [FileRef, null]] => [ref.path, [ref, null]]),
  ]);
  let fromCache = true;
  let fetchedBytes = 0;
  // Manifest v1 (builders before the sharded catalog) has one whole catalog file and no parts.
  const partScope = manifest.version === WHOLE_CATALOG_MANIFEST_VERSION ? null : manifest.catalog.sha256;
  const parts =
    partScope === null ? null : await openCachedDataSource(httpDataSource(dataUrl), cache, partScope);
  const source: DataSource = {
    async file(path, fresh) {
      const file = files.get(path);
      if (file === undefined) {
        if (parts === null) throw new Error(`${path} is not a file of this build's manifest`);
        return parts.file(path, fresh);
      }
      const [ref, stage] = file;
      const loaded = await loadVerifiedFile(dataUrl, ref, stage, cache, report);
      if (!loaded.fromCache) {
        fromCache = false;
        fetchedBytes += loaded.bytes.byteLength;
      }
      return new Uint8Array(loaded.bytes);
    },
    range: (path) => Promise.reject(new Error(`${path}: a resident build is read whole`)),
  };
  // loadVerifiedFile checked each file's sha256, from the network or from IndexedDB.
  const collection = await openCollection(manifest, source, { sourceVerifies: true });
  // The model stays even if it has not been loaded yet.
  const uses: BuildUses = {
    files: [
      manifest.index.sha256,
      manifest.catalog.sha256,
      manifest.model.file.sha256,
      ...duplicatesFileHash(manifest),
      ...(manifest.neighbours?.shards ?? []).map((ref) => ref.sha256),
    ],
    partScope,
  };
  return { collection, fromCache, fetchedBytes, uses };
}

/** Only the index head and the catalog index now; cells and shards come as pages and queries need them. */
async function openSharded(
  dataUrl: string,
  manifest: ShardedManifest,
  cache: DataCache,
  report: ReportProgress,
): Promise<OpenedCollection> {
  const head = manifest.index.headBytes;
  report({ stage: 'index', loadedBytes: 0, totalBytes: head, fromCache: false, done: false });
  let collection: Collection;
  let fetchedBytes: number;
  try {
    const source = await openCachedDataSource(httpDataSource(dataUrl), cache, manifest.index.sha256);
    collection = await openCollection(manifest, source, {
      cellStore: source.cellStore,
      networkBytes: () => source.networkBytes,
    });
    fetchedBytes = source.networkBytes;
  } catch (err) {
    throw errorInFile(manifest.index.path, err);
  }
  const fromCache = fetchedBytes === 0;
  report({ stage: 'index', loadedBytes: head, totalBytes: head, fromCache, done: true });
  const catalogBytes = manifest.catalog.bytes;
  report({ stage: 'catalog', loadedBytes: catalogBytes, totalBytes: catalogBytes, fromCache, done: true });
  const uses: BuildUses = {
    files: [manifest.model.file.sha256, ...duplicatesFileHash(manifest)],
    partScope: manifest.index.sha256,
  };
  return { collection, fromCache, fetchedBytes, uses };
}

/** The duplicates file stays in IndexedDB with its build (none for builds without one). */
function duplicatesFileHash(manifest: Manifest): string[] {
  return manifest.duplicates ? [manifest.duplicates.file.sha256] : [];
}
