import * as Comlink from 'comlink';
import type { LoadProgress, QueryPixels, SearchApi, SearchWorkerName } from '../workers/searchApi';
import { decodeImage } from './imageFile/decodeImage';
import { getOfflineStatus, whenOfflineSettled, type OfflineStatus } from './offlineSupport';
import { noticeNewerData } from './siteUpdate';

export { decodeImage };

/**
 * The page's handle on the search worker: the SearchApi itself, with callbacks proxied and the pixel
 * buffers of searchByPixels and embed transferred (the caller's buffer is detached afterwards).
 */
export type SearchClient = SearchApi;

interface RunningWorker {
  api: Comlink.Remote<SearchApi>;
  /** Rejects if the worker script cannot start (missing file, syntax error, CSP). */
  failed: Promise<never>;
}

function startWorker(): RunningWorker {
  const worker = new Worker(new URL('../workers/searchWorker.ts', import.meta.url), {
    type: 'module',
    // A software WebGPU adapter is used only when the page's URL asks (workers/ortRuntime.ts).
    name: (new URLSearchParams(window.location.search).get('webgpu') === 'software'
      ? 'lookalike-search+software-webgpu'
      : 'lookalike-search') satisfies SearchWorkerName,
  });
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      reject(new Error(`the search worker failed to start${event.message ? `: ${event.message}` : ''}`));
    });
  });
  // Only calls racing it observe the rejection; an idle failure is not an unhandled one.
  failed.catch(() => {});
  return { api: Comlink.wrap<SearchApi>(worker), failed };
}

function callback(fn?: (p: LoadProgress) => void) {
  return fn ? Comlink.proxy(fn) : undefined;
}

function transferPixels(pixels: QueryPixels): QueryPixels {
  return Comlink.transfer(pixels, [pixels.data.buffer]);
}

/** A client whose worker starts on the first call. */
export function createSearchClient(): SearchClient {
  let running: RunningWorker | null = null;
  const call = <T>(invoke: (api: Comlink.Remote<SearchApi>) => Promise<T>): Promise<T> => {
    running ??= startWorker();
    return Promise.race([invoke(running.api), running.failed]).catch((err: unknown) => {
      // A data file newer than this app reads: the page loads the site's newer app (src/siteUpdate.ts).
      noticeNewerData(err);
      throw err;
    });
  };
  // Calls that may start the model runtime wait until the service worker has its copy of it (first visit).
  const callWithRuntime = <T>(invoke: (api: Comlink.Remote<SearchApi>) => Promise<T>): Promise<T> =>
    whenOfflineSettled().then(() => call(invoke));
  return {
    load: (dataUrl, onProgress) =>
      call((api) => api.load(new URL(dataUrl, document.baseURI).href, callback(onProgress))),
    albumItems: (album, start, count) => call((api) => api.albumItems(album, start, count)),
    item: (id) => call((api) => api.item(id)),
    searchById: (id, k) => call((api) => api.searchById(id, k)),
    duplicateGroups: (strictness, start, count) =>
      call((api) => api.duplicateGroups(strictness, start, count)),
    searchByPixels: (pixels, k, onProgress) =>
      callWithRuntime((api) => api.searchByPixels(transferPixels(pixels), k, callback(onProgress))),
    preloadInBackground: (onProgress) =>
      callWithRuntime((api) => api.preloadInBackground(callback(onProgress))),
    embed: (pixels) => callWithRuntime((api) => api.embed(transferPixels(pixels))),
    status: () => call((api) => api.status()),
    checkForUpdate: () => call((api) => api.checkForUpdate()),
    onDataUpdated: (onUpdate) => call((api) => api.onDataUpdated(Comlink.proxy(onUpdate))),
  };
}

/** The app's one search worker. */
export const searchClient: SearchClient = createSearchClient();

declare global {
  interface Window {
    /** Present only in builds made with VITE_EXPOSE_SEARCH_API=true (the e2e build). */
    __lookalike?: {
      searchClient: SearchClient;
      decodeImage: typeof decodeImage;
      offlineStatus: () => OfflineStatus;
    };
  }
}

// End-to-end tests drive the worker directly (cache, parity, offline) without going through the UI.
if (import.meta.env.VITE_EXPOSE_SEARCH_API === 'true') {
  window.__lookalike = { searchClient, decodeImage, offlineStatus: getOfflineStatus };
}
