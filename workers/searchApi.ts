// The one interface the search worker exposes through comlink. The UI only talks to this.
import type { Catalog } from '../core/catalog';

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

export interface LoadInfo {
  count: number;
  modelId: string;
  /** Catalog: albums and items; item i is index row i. */
  catalog: Catalog;
  /** Whether the index came from cache, and bytes fetched over the network for this load. */
  fromCache: boolean;
  fetchedBytes: number;
  /** Storage fell back to memory (quota exceeded, IndexedDB missing). */
  memoryOnly: boolean;
}

export interface SearchResult {
  id: string;
  row: number;
  score: number;
}

export interface SearchResponse {
  results: SearchResult[];
  /** Milliseconds spent in the worker (featurize + search). */
  elapsedMs: number;
}

/** Pixels of the user's own image, decoded on the page; `data` is transferred, not copied. */
export interface QueryPixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface WorkerStatus {
  indexLoaded: boolean;
  model: 'idle' | 'loading' | 'ready' | 'failed';
  modelError: string | null;
  executionProvider: 'webgpu' | 'wasm' | null;
  threads: number;
  crossOriginIsolated: boolean;
  /** How data files are verified: WebCrypto in secure contexts, pure JS (@noble/hashes) elsewhere. */
  hashImplementation: 'webcrypto' | 'noble';
}

export interface SearchApi {
  /** Fetches (or reads from cache, verifying sha256) manifest, index and catalog under `dataUrl`. */
  load(dataUrl: string, onProgress?: (p: LoadProgress) => void): Promise<LoadInfo>;
  /** Album-image query: uses the vector stored in the index; needs no model. */
  searchById(id: string, k: number): Promise<SearchResponse>;
  /** Own-image query: featurizes in the worker (loads model and runtime on first use). */
  searchByPixels(
    pixels: QueryPixels,
    k: number,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<SearchResponse>;
  /** Starts loading model + runtime in the background so the first own-image query is quick. */
  preloadModel(onProgress?: (p: LoadProgress) => void): Promise<void>;
  /** The embedding of an image as the browser computes it (for Node/browser parity tests). */
  embed(pixels: QueryPixels): Promise<Float32Array>;
  status(): Promise<WorkerStatus>;
}
