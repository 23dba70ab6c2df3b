// The one interface the search worker exposes through comlink. The UI only talks to this.
import type { SimilarityCalibration } from '../core/calibration';
import type { CatalogItem } from '../core/catalog';
import type { DuplicateGroupsPage, DuplicateStrictness } from '../core/duplicatesReader';

export type LoadStage = 'manifest' | 'index' | 'catalog' | 'model' | 'runtime';

export interface LoadProgress {
  stage: LoadStage;
  loadedBytes: number;
  /** Total bytes when known (from the manifest), else null. */
  totalBytes: number | null;
  /** True when served from the IndexedDB cache instead of the network. */
  fromCache: boolean;
  done: boolean;
}

/** An album as the album list shows it, without its items. */
export interface AlbumSummary {
  name: string;
  count: number;
  cover: { id: string; thumb: string };
}

export interface LoadInfo {
  count: number;
  modelId: string;
  /**
   * 'resident': index and catalog loaded whole; 'sharded': only the index head and the catalog index,
   * items and index cells are fetched as pages and queries need them (HTTP Range requests).
   */
  layout: 'resident' | 'sharded';
  /** Albums sorted by name; their items come from albumItems(). */
  albums: AlbumSummary[];
  /** Whether the index came from cache, and bytes fetched over the network for this load. */
  fromCache: boolean;
  fetchedBytes: number;
  /** What scores mean in this collection (labels, cut-off); null for builds without one. */
  calibration: SimilarityCalibration | null;
  /** Group counts per strictness, for the home page; null when the build has none. */
  duplicates: Record<DuplicateStrictness, number> | null;
}

/*
 * Duplicate groups (duplicateGroups(), LoadInfo.duplicates): DuplicateStrictness (strictest first, each
 * mapped to the collection's calibrated threshold), DuplicateMember, DuplicateGroup and
 * DuplicateGroupsPage are defined next to their reader, which `npm run duplicates` shares.
 */
export type {
  DuplicateGroup,
  DuplicateGroupsPage,
  DuplicateMember,
  DuplicateStrictness,
} from '../core/duplicatesReader';

export interface SearchResult {
  id: string;
  score: number;
  item: CatalogItem;
}

export interface SearchResponse {
  results: SearchResult[];
  /** Milliseconds spent in the worker (featurize + search), incl. fetching cells when sharded. */
  elapsedMs: number;
  /** Bytes this query fetched over the network (sharded: cells and catalog shards; resident: 0). */
  fetchedBytes: number;
}

/** Pixels of the user's own image, decoded on the page; `data` is transferred, not copied. */
export interface QueryPixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface WorkerStatus {
  /** A build is open (its catalog read); a resident index loads later, on first need. */
  collectionLoaded: boolean;
  /**
   * The open build's catalog and neighbour lists have been read ahead into this browser's cache (a
   * resident build's; a sharded build reads only what is used), so its albums and album-image results
   * work offline: what "works offline" promises besides the app shell.
   */
  browseDataStored: boolean;
  model: 'idle' | 'loading' | 'ready' | 'failed';
  modelError: string | null;
  /**
   * Why the index (which own-image queries need; album-image queries read neighbour lists) failed to load
   * in the background; null otherwise.
   */
  indexError: string | null;
  executionProvider: 'webgpu' | 'wasm' | null;
  /** Why the model fell back to WASM although the browser offered WebGPU; null otherwise. */
  webGpuError: string | null;
  threads: number;
  crossOriginIsolated: boolean;
  /** How data files are verified: WebCrypto in secure contexts, pure JS (@noble/hashes) elsewhere. */
  hashImplementation: 'webcrypto' | 'noble';
  storage: StorageStatus;
}

/** What this browser keeps for the next visit. */
export interface StorageStatus {
  /**
   * Held in memory for this session only, because storage refused them (quota) or is missing: the
   * collection's files (index, catalog, cells and shards seen) and the model (listed once it has loaded).
   */
  notKept: ('collection' | 'model')[];
  /** Why (e.g. "storage quota exceeded"), or null when everything is kept. */
  reason: string | null;
  /** What this site may still store, from navigator.storage.estimate(); null when the browser does not say. */
  freeBytes: number | null;
}

export interface SearchApi {
  /** Fetches (or reads from cache, verifying sha256) manifest, index and catalog under `dataUrl`. */
  load(dataUrl: string, onProgress?: (p: LoadProgress) => void): Promise<LoadInfo>;
  /**
   * Items start ..< start + count of an album, in album order (clamped to the album). Resident
   * collections answer from memory; sharded ones fetch (and cache) the catalog shards that hold them.
   */
  albumItems(album: string, start: number, count: number): Promise<CatalogItem[]>;
  /** The item with this id, or null when the collection has none. */
  item(id: string): Promise<CatalogItem | null>;
  /** Album-image query: uses the vector stored in the index; needs no model. */
  searchById(id: string, k: number): Promise<SearchResponse>;
  /** Own-image query: featurizes in the worker (loads model and runtime on first use). */
  searchByPixels(
    pixels: QueryPixels,
    k: number,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<SearchResponse>;
  /** Loads in the background what later searches need (model, runtime, index, neighbour lists): quick, and offline. */
  preloadInBackground(onProgress?: (p: LoadProgress) => void): Promise<void>;
  /** The embedding of an image as the browser computes it (for Node/browser parity tests). */
  embed(pixels: QueryPixels): Promise<Float32Array>;
  status(): Promise<WorkerStatus>;
  /**
   * Re-reads manifest.json past every cache and, when it names a new build, switches to it: what the
   * page calls when a thumbnail or original is missing (a rebuild of the data dir deleted it). The
   * worker does the same by itself when a data file it needs is missing. Returns the new build's
   * LoadInfo, or null when the manifest is unchanged or unreachable.
   */
  checkForUpdate(): Promise<LoadInfo | null>;
  /** `onUpdate` is called with the new LoadInfo whenever the worker switches to a new build (one listener). */
  onDataUpdated(onUpdate: (info: LoadInfo) => void): Promise<void>;
  /**
   * Duplicate groups start ..< start + count at this strictness, largest first; null when the build has
   * no duplicate groups file (older builds).
   */
  duplicateGroups(
    strictness: DuplicateStrictness,
    start: number,
    count: number,
  ): Promise<DuplicateGroupsPage | null>;
}

/**
 * The search worker's name (its `name` option): the page asks for a software WebGPU adapter
 * (SwiftShader) to be used by naming it so (workers/ortRuntime.ts); otherwise one is passed over.
 */
export type SearchWorkerName = 'lookalike-search' | 'lookalike-search+software-webgpu';
