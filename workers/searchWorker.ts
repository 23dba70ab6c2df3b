import * as Comlink from 'comlink';
import { parseCatalog, type Catalog } from '../core/catalog';
import { featurize } from '../core/featurize';
import { HttpStatusError } from '../core/httpDataSource';
import { decodeIndex } from '../core/indexFormat';
import type { LshIndex } from '../core/lshIndex';
import {
  isShardedManifest,
  parseManifest,
  type FileRef,
  type Manifest,
  type ResidentManifest,
  type ShardedManifest,
} from '../core/manifest';
import { compactVector } from '../core/vectorTransform';
import type { DuplicatesReader } from '../core/duplicatesReader';
import type { Collection, CollectionSearch } from './collection';
import { digestMatches, hashImplementation, sha256HexOf } from './contentHash';
import { DataCache } from './dataCache';
import { openDuplicatesReader } from './duplicateGroupsReader';
import { FetchError, fetchWithProgress } from './fetchWithProgress';
import { openModelSession, type ModelSession } from './modelSession';
import { throttledProgress } from './progressThrottle';
import { RangeCollection } from './rangeCollection';
import { ResidentCollection } from './residentCollection';
import type {
  LoadInfo,
  LoadProgress,
  LoadStage,
  QueryPixels,
  SearchApi,
  SearchResponse,
  StorageStatus,
  WorkerStatus,
} from './searchApi';

/** The data set currently searched: everything load() verified and decoded. */
interface LoadedData {
  dataUrl: string;
  /** manifest.json as read: a different text names another build. */
  manifestText: string;
  manifest: Manifest;
  collection: Collection;
  info: LoadInfo;
  /** The duplicates file's reader, opened on the first duplicateGroups() call. */
  duplicates?: Promise<DuplicatesReader | null>;
}

type Report = (p: LoadProgress) => void;

let cachePromise: Promise<DataCache> | null = null;
let data: LoadedData | null = null;
let loading: { dataUrl: string; promise: Promise<LoadInfo> } | null = null;
let model: { sha256: string; promise: Promise<ModelSession> } | null = null;
let modelSession: ModelSession | null = null;
let modelState: WorkerStatus['model'] = 'idle';
let modelError: string | null = null;
/** A running re-read of the manifest after a missing file (one at a time). */
let updating: Promise<void> | null = null;
/** The page's listener for builds this worker switched to by itself. */
let dataUpdated: ((info: LoadInfo) => void) | null = null;

function openCache(): Promise<DataCache> {
  cachePromise ??= DataCache.open();
  return cachePromise;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function normaliseDataUrl(dataUrl: string): string {
  const url = new URL(dataUrl, self.location.href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** The current manifest: from the network when reachable, else the last one this browser stored. */
async function loadManifest(
  dataUrl: string,
  cache: DataCache,
  report: Report,
): Promise<{ manifest: Manifest; text: string; fetchedBytes: number }> {
  const url = new URL('manifest.json', dataUrl).href;
  report({ stage: 'manifest', loadedBytes: 0, totalBytes: null, fromCache: false, done: false });
  let text: string;
  let fromCache = false;
  try {
    // no-cache: revalidate with the host every time, the manifest is what switches to a new build.
    const bytes = await fetchWithProgress(url, { cache: 'no-cache' }, null);
    text = new TextDecoder().decode(bytes);
  } catch (err) {
    if (!(err instanceof FetchError && err.offline)) throw err;
    const stored = await cache.readManifest(dataUrl);
    if (stored === null) {
      throw new Error(
        `cannot reach ${url} and no earlier copy is stored in this browser: connect once to load the collection`,
        { cause: err },
      );
    }
    text = stored;
    fromCache = true;
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(text));
  } catch (err) {
    throw new Error(`${url}: ${message(err)}`, { cause: err });
  }
  if (!fromCache) await cache.writeManifest(dataUrl, text);
  const size = new TextEncoder().encode(text).byteLength;
  report({ stage: 'manifest', loadedBytes: size, totalBytes: size, fromCache, done: true });
  return { manifest, text, fetchedBytes: fromCache ? 0 : size };
}

/**
 * The host says a data file is not there: a build that replaced the one this tab holds deleted it (a data
 * dir keeps only the current and the previous build's files). S3 answers 403 for a missing key when
 * listing is not public.
 */
function isMissingFile(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const status = e instanceof FetchError || e instanceof HttpStatusError ? e.status : null;
    if (status === 404 || status === 403 || status === 410) return true;
  }
  return false;
}

/** manifest.json straight from the host, past the HTTP cache and any service worker cache; null offline. */
async function fetchManifestText(dataUrl: string): Promise<string | null> {
  try {
    const bytes = await fetchWithProgress(
      new URL('manifest.json', dataUrl).href,
      { cache: 'no-store' },
      null,
    );
    return new TextDecoder().decode(bytes);
  } catch {
    return null;
  }
}

/** A content-addressed data file: verified from IndexedDB, or downloaded, verified and stored. */
async function loadFile(
  dataUrl: string,
  ref: FileRef,
  stage: LoadStage,
  cache: DataCache,
  report: Report,
): Promise<{ bytes: ArrayBuffer; fromCache: boolean }> {
  const cached = await cache.readFile(ref.sha256);
  if (cached.outcome === 'hit') {
    report({ stage, loadedBytes: ref.bytes, totalBytes: ref.bytes, fromCache: true, done: true });
    return { bytes: cached.bytes, fromCache: true };
  }
  if (cached.outcome === 'dropped')
    console.warn(`cached ${ref.path} dropped: ${cached.reason}; downloading again`);
  const url = new URL(ref.path, dataUrl).href;
  const download = (init: RequestInit) =>
    fetchWithProgress(url, init, ref.bytes, ({ loadedBytes, totalBytes }) =>
      report({ stage, loadedBytes, totalBytes, fromCache: false, done: false }),
    );
  let bytes = await download({});
  let actual = await sha256HexOf(bytes);
  if (!digestMatches(actual, ref.sha256)) {
    // A stale or damaged HTTP cache (or proxy) entry: ask the host itself once more.
    bytes = await download({ cache: 'reload' });
    actual = await sha256HexOf(bytes);
  }
  if (!digestMatches(actual, ref.sha256)) {
    throw new Error(
      `${url} does not match the manifest (sha256 ${actual.slice(0, 16)}…, expected ${ref.sha256.slice(0, 16)}…): ` +
        'the data dir is being replaced or is damaged; reload in a minute',
    );
  }
  await cache.writeFile(ref.sha256, bytes);
  report({ stage, loadedBytes: bytes.byteLength, totalBytes: ref.bytes, fromCache: false, done: true });
  return { bytes, fromCache: false };
}

function parseCatalogBytes(bytes: ArrayBuffer, count: number, what: string): Catalog {
  try {
    return parseCatalog(JSON.parse(new TextDecoder().decode(bytes)), count);
  } catch (err) {
    throw new Error(`${what}: ${message(err)}`, { cause: err });
  }
}

async function loadResident(
  dataUrl: string,
  manifest: ResidentManifest,
  cache: DataCache,
  report: Report,
): Promise<{ collection: Collection; fromCache: boolean; fetchedBytes: number }> {
  const [indexFile, catalogFile] = await Promise.all([
    loadFile(dataUrl, manifest.index, 'index', cache, report),
    loadFile(dataUrl, manifest.catalog, 'catalog', cache, report),
  ]);
  let index: LshIndex;
  try {
    index = decodeIndex(new Uint8Array(indexFile.bytes));
  } catch (err) {
    throw new Error(`${manifest.index.path}: ${message(err)}`, { cause: err });
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
async function loadSharded(
  dataUrl: string,
  manifest: ShardedManifest,
  cache: DataCache,
  report: Report,
): Promise<{ collection: Collection; fromCache: boolean; fetchedBytes: number }> {
  const head = manifest.index.headBytes;
  report({ stage: 'index', loadedBytes: 0, totalBytes: head, fromCache: false, done: false });
  let collection: RangeCollection;
  try {
    collection = await RangeCollection.open(dataUrl, manifest, cache);
  } catch (err) {
    throw new Error(`${manifest.index.path}: ${message(err)}`, { cause: err });
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

/** The duplicates file stays in IndexedDB with its build (none for builds without one). */
function duplicatesFileHash(manifest: Manifest): string[] {
  return manifest.duplicates ? [manifest.duplicates.file.sha256] : [];
}

async function loadBuild(dataUrl: string, report: Report, seen: { text?: string }): Promise<LoadInfo> {
  const cache = await openCache();
  const { manifest, text, fetchedBytes: manifestBytes } = await loadManifest(dataUrl, cache, report);
  seen.text = text;
  const loaded = isShardedManifest(manifest)
    ? await loadSharded(dataUrl, manifest, cache, report)
    : await loadResident(dataUrl, manifest, cache, report);
  if (model && model.sha256 !== manifest.model.file.sha256) resetModel();
  const { collection } = loaded;
  const info: LoadInfo = {
    count: collection.count,
    modelId: collection.modelId,
    layout: collection.layout,
    albums: collection.albums,
    fromCache: loaded.fromCache,
    fetchedBytes: manifestBytes + loaded.fetchedBytes,
    calibration: manifest.calibration ?? null,
    duplicates: manifest.duplicates?.groups ?? null,
  };
  data = { dataUrl, manifestText: text, manifest, collection, info };
  return info;
}

async function loadData(dataUrl: string, report: Report): Promise<LoadInfo> {
  const seen: { text?: string } = {};
  try {
    return await loadBuild(dataUrl, report, seen);
  } catch (err) {
    // A new build replaced the manifest just read (and, two builds on, deleted its files): load that one.
    if (!isMissingFile(err) || seen.text === undefined) throw err;
    const now = await fetchManifestText(dataUrl);
    if (now === null || now === seen.text) throw err;
    return loadBuild(dataUrl, report, {});
  }
}

/**
 * After a missing file: re-reads manifest.json past every cache and, if it names another build than
 * `seen`, loads that one (and tells the page). True when the worker now holds another build than `seen`.
 */
async function switchIfUpdated(seen: LoadedData): Promise<boolean> {
  if (data !== seen) return true;
  if (updating === null) {
    const entry = (async () => {
      const text = await fetchManifestText(seen.dataUrl);
      if (text === null || text === seen.manifestText || data !== seen) return;
      const info = await loadData(seen.dataUrl, () => {});
      if (dataUpdated) void Promise.resolve(dataUpdated(info)).catch(() => {});
    })();
    updating = entry;
    void entry.then(
      () => {
        if (updating === entry) updating = null;
      },
      () => {
        if (updating === entry) updating = null;
      },
    );
  }
  await updating.catch((err: unknown) => console.warn(`cannot switch to the new build: ${message(err)}`));
  return data !== seen;
}

/**
 * Runs `run` on the current build; if a data file it needs is gone because the data dir was rebuilt, runs
 * it once more on the new build instead of asking again for the deleted file.
 */
async function withCurrentBuild<T>(run: (current: LoadedData) => Promise<T>): Promise<T> {
  const current = requireData();
  try {
    return await run(current);
  } catch (err) {
    if (!isMissingFile(err) || !(await switchIfUpdated(current))) throw err;
    return run(requireData());
  }
}

function resetModel(): void {
  model = null;
  modelSession = null;
  modelState = 'idle';
  modelError = null;
}

function requireData(): LoadedData {
  if (!data) throw new Error('no collection loaded: call load() first');
  return data;
}

/** Model + runtime, loaded once per model hash; a failure is reported and retried on the next call. */
function ensureModel(report: Report): Promise<ModelSession> {
  const current = requireData();
  const ref = current.manifest.model.file;
  if (model && model.sha256 === ref.sha256) return model.promise;
  modelState = 'loading';
  modelError = null;
  const promise = (async () => {
    const cache = await openCache();
    const file = await loadFile(current.dataUrl, ref, 'model', cache, report);
    report({ stage: 'runtime', loadedBytes: 0, totalBytes: null, fromCache: false, done: false });
    const session = await openModelSession(new Uint8Array(file.bytes), current.manifest.model.spec);
    report({ stage: 'runtime', loadedBytes: 0, totalBytes: null, fromCache: false, done: true });
    return session;
  })();
  const entry = { sha256: ref.sha256, promise };
  model = entry;
  promise.then(
    (session) => {
      if (model !== entry) return;
      modelSession = session;
      modelState = 'ready';
    },
    (err: unknown) => {
      if (model !== entry) return;
      model = null;
      modelState = 'failed';
      modelError = message(err);
    },
  );
  return promise;
}

async function freeBytes(): Promise<number | null> {
  try {
    const { quota, usage } = await navigator.storage.estimate();
    return quota === undefined || usage === undefined ? null : Math.max(0, quota - usage);
  } catch {
    return null;
  }
}

async function storageStatus(): Promise<StorageStatus> {
  const cache = await openCache();
  const notKept: StorageStatus['notKept'] = [];
  const manifest = data?.manifest;
  if (manifest) {
    const collectionKept = isShardedManifest(manifest)
      ? cache.partsKept(manifest.index.sha256)
      : cache.isKept(manifest.index.sha256) && cache.isKept(manifest.catalog.sha256);
    if (!collectionKept) notKept.push('collection');
    if (modelState === 'ready' && !cache.isKept(manifest.model.file.sha256)) notKept.push('model');
  }
  return { notKept, reason: notKept.length > 0 ? cache.notKeptReason : null, freeBytes: await freeBytes() };
}

function toResponse(found: CollectionSearch, started: number): SearchResponse {
  return { ...found, elapsedMs: performance.now() - started };
}

async function embedPixels(pixels: QueryPixels, report: Report): Promise<Float32Array> {
  const current = requireData();
  const session = await ensureModel(report);
  const [embedding] = await featurize(session.runner, current.manifest.model.spec, [pixels]);
  return embedding;
}

const api: SearchApi = {
  async load(dataUrl, onProgress) {
    const url = normaliseDataUrl(dataUrl);
    const report = throttledProgress(onProgress);
    if (loading && loading.dataUrl === url) return loading.promise;
    const promise = loadData(url, report);
    const entry = { dataUrl: url, promise };
    loading = entry;
    try {
      return await promise;
    } finally {
      if (loading === entry) loading = null;
    }
  },

  async albumItems(album, start, count) {
    return withCurrentBuild((current) => current.collection.albumItems(album, start, count));
  },

  async item(id) {
    return withCurrentBuild((current) => current.collection.item(id));
  },

  async searchById(id, k) {
    return withCurrentBuild(async (current) => {
      const started = performance.now();
      return toResponse(await current.collection.searchById(id, k), started);
    });
  },

  async searchByPixels(pixels, k, onProgress) {
    const report = throttledProgress(onProgress);
    return withCurrentBuild(async (current) => {
      // Model loading is not search time; the clock starts once the model is ready.
      await ensureModel(report);
      const started = performance.now();
      const [embedding, transform] = await Promise.all([
        embedPixels(pixels, report),
        current.collection.transform(),
      ]);
      const vector = compactVector(transform, embedding);
      return toResponse(await current.collection.searchByVector(vector, k), started);
    });
  },

  async preloadModel(onProgress) {
    await withCurrentBuild(() => ensureModel(throttledProgress(onProgress)));
  },

  async duplicateGroups(strictness, start, count) {
    return withCurrentBuild(async (current) => {
      if (current.duplicates === undefined) {
        const opened = openDuplicatesReader(current.manifest, current.collection, async (ref) => {
          const file = await loadFile(current.dataUrl, ref, 'catalog', await openCache(), () => {});
          return file.bytes;
        });
        current.duplicates = opened;
        // A failed open (network, a damaged file) is retried on the next call.
        opened.catch(() => {
          if (current.duplicates === opened) current.duplicates = undefined;
        });
      }
      const reader = await current.duplicates;
      return reader === null ? null : reader.page(strictness, start, count);
    });
  },

  async checkForUpdate() {
    const current = data;
    if (current === null) return null;
    return (await switchIfUpdated(current)) && data !== null ? data.info : null;
  },

  async onDataUpdated(onUpdate) {
    dataUpdated = onUpdate;
  },

  async embed(pixels) {
    const embedding = await embedPixels(pixels, () => {});
    return Comlink.transfer(embedding, [embedding.buffer]);
  },

  async status() {
    return {
      storage: await storageStatus(),
      indexLoaded: data !== null,
      model: modelState,
      modelError,
      executionProvider: modelSession?.executionProvider ?? null,
      webGpuError: modelSession?.webGpuError ?? null,
      threads: modelSession?.threads ?? 0,
      crossOriginIsolated: self.crossOriginIsolated,
      hashImplementation: hashImplementation(),
    };
  },
};

Comlink.expose(api);
