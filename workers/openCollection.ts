import { parseCatalog, type Catalog } from '../core/catalog';
import { decodeIndex } from '../core/indexFormat';
import type { LshIndex } from '../core/lshIndex';
import {
  isShardedManifest,
  type Manifest,
  type ResidentManifest,
  type ShardedManifest,
} from '../core/manifest';
import type { Collection } from './collection';
import type { DataCache } from './dataCache';
import { errorMessage } from './errorMessage';
import type { ReportProgress } from './progressThrottle';
import { RangeCollection } from './rangeCollection';
import { ResidentCollection } from './residentCollection';
import { loadVerifiedFile } from './verifiedFile';

/** A collection as a build's manifest describes it, with what its load cost. */
export interface OpenedCollection {
  collection: Collection;
  /** Whether every file came from IndexedDB. */
  fromCache: boolean;
  /** Bytes fetched over the network for it. */
  fetchedBytes: number;
}

/**
 * Opens the manifest's collection, verified, and tells the cache to keep this build's files (and, for the
 * sharded layout, its parts) and drop earlier builds'.
 */
export function openCollection(
  dataUrl: string,
  manifest: Manifest,
  cache: DataCache,
  report: ReportProgress,
): Promise<OpenedCollection> {
  return isShardedManifest(manifest)
    ? openSharded(dataUrl, manifest, cache, report)
    : openResident(dataUrl, manifest, cache, report);
}

async function openResident(
  dataUrl: string,
  manifest: ResidentManifest,
  cache: DataCache,
  report: ReportProgress,
): Promise<OpenedCollection> {
  const [indexFile, catalogFile] = await Promise.all([
    loadVerifiedFile(dataUrl, manifest.index, 'index', cache, report),
    loadVerifiedFile(dataUrl, manifest.catalog, 'catalog', cache, report),
  ]);
  let index: LshIndex;
  try {
    index = decodeIndex(new Uint8Array(indexFile.bytes));
  } catch (err) {
    throw new Error(`${manifest.index.path}: ${errorMessage(err)}`, { cause: err });
  }
  if (index.modelId !== manifest.model.id) {
    throw new Error(
      `${manifest.index.path} was built with model '${index.modelId}' but the manifest names '${manifest.model.id}'`,
    );
  }
  const catalog = parseCatalogBytes(catalogFile.bytes, index.count, manifest.catalog.path);
  // Files of earlier builds are dead weight; the model stays even if it has not been loaded yet.
  await cache.retainFiles([
    manifest.index.sha256,
    manifest.catalog.sha256,
    manifest.model.file.sha256,
    ...duplicatesFileHash(manifest),
  ]);
  return {
    collection: new ResidentCollection(index, catalog),
    fromCache: indexFile.fromCache && catalogFile.fromCache,
    fetchedBytes:
      (indexFile.fromCache ? 0 : indexFile.bytes.byteLength) +
      (catalogFile.fromCache ? 0 : catalogFile.bytes.byteLength),
  };
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
  let collection: RangeCollection;
  try {
    collection = await RangeCollection.open(dataUrl, manifest, cache);
  } catch (err) {
    throw new Error(`${manifest.index.path}: ${errorMessage(err)}`, { cause: err });
  }
  const fetchedBytes = collection.networkBytes;
  const fromCache = fetchedBytes === 0;
  report({ stage: 'index', loadedBytes: head, totalBytes: head, fromCache, done: true });
  const catalogBytes = manifest.catalog.bytes;
  report({ stage: 'catalog', loadedBytes: catalogBytes, totalBytes: catalogBytes, fromCache, done: true });
  await cache.retainFiles(
    [manifest.model.file.sha256, ...duplicatesFileHash(manifest)],
    manifest.index.sha256,
  );
  return { collection, fromCache, fetchedBytes };
}

function parseCatalogBytes(bytes: ArrayBuffer, count: number, what: string): Catalog {
  try {
    return parseCatalog(JSON.parse(new TextDecoder().decode(bytes)), count);
  } catch (err) {
    throw new Error(`${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/** The duplicates file stays in IndexedDB with its build (none for builds without one). */
function duplicatesFileHash(manifest: Manifest): string[] {
  return manifest.duplicates ? [manifest.duplicates.file.sha256] : [];
}
