import * as Comlink from 'comlink';
import { errorMessage } from '../core/errorMessage';
import { compactVector } from '../core/vectorTransform';
import type { BuildLoader } from './buildLoader';
import { ForegroundCalls } from './foregroundCalls';
import type { LoadedBuild } from './loadedBuild';
import type { CollectionSearch } from '../core/collection';
import { hashImplementation } from './downloadDigest';
import type { QueryModel } from './modelSession';
import { throttledProgress } from './progressThrottle';
import type { SearchApi, SearchResponse } from './searchApi';
import { storageStatus } from './storageStatus';

function toResponse(found: CollectionSearch, started: number): SearchResponse {
  return { ...found, elapsedMs: performance.now() - started };
}

/**
 * The worker's API as the page sees it through comlink: each call runs on the build the loader holds
 * (once more on the new build when a rebuild deleted a file it needed) and the model it names. The
 * background preload's reads wait while the page waits on a browse or search call.
 */
export function workerApi(builds: BuildLoader, model: QueryModel): SearchApi {
  /** The last background index load that failed, and for which build. */
  let indexFailure: { build: LoadedBuild; message: string } | null = null;
  /** The build whose catalog and neighbour lists the background preload read ahead. */
  let browseDataStoredFor: LoadedBuild | null = null;
  const foreground = new ForegroundCalls();
  const inForeground = <T>(run: (current: LoadedBuild) => Promise<T>): Promise<T> =>
    foreground.run(() => builds.withCurrentBuild(run));
  return {
    async load(dataUrl, onProgress) {
      return builds.load(dataUrl, throttledProgress(onProgress));
    },

    async albumItems(album, start, count) {
      return inForeground((current) => current.collection.albumItems(album, start, count));
    },

    async item(id) {
      return inForeground((current) => current.collection.item(id));
    },

    async searchById(id, k) {
      return inForeground(async (current) => {
        const started = performance.now();
        return toResponse(await current.collection.searchById(id, k), started);
      });
    },

    async searchByPixels(pixels, k, onProgress) {
      const report = throttledProgress(onProgress);
      return inForeground(async (current) => {
        // Model loading is not search time; the clock starts once the model is ready.
        await model.ready(current, report);
        const started = performance.now();
        const [embedding, transform] = await Promise.all([
          model.embed(current, pixels, report),
          current.collection.transform(),
        ]);
        const vector = compactVector(transform, embedding);
        return toResponse(await current.collection.searchByVector(vector, k), started);
      });
    },

    async preloadInBackground(onProgress) {
      const report = throttledProgress(onProgress);
      // The model and the transform that maps its embedding into the index (a resident build's index), and
      // what album-image queries read, so later searches are quick and work offline.
      await builds.withCurrentBuild(async (current) => {
        const index = current.collection.transform().then(
          () => (indexFailure = null),
          (err: unknown) => {
            indexFailure = { build: current, message: errorMessage(err) };
            throw err;
          },
        );
        // Catalog and neighbour-list shards not read ahead are read when a page or query needs them: no
        // failure to report.
        const lists = current.collection.prefetch(foreground.whenIdle).then(
          () => (browseDataStoredFor = current),
          (err: unknown) => {
            console.warn(`catalog and neighbour lists not read ahead: ${errorMessage(err)}`);
          },
        );
        // Settled together, so that the status the page reads after this says how each of them went
        // (a model that fails at once must not leave "works offline" unsaid until the next refresh).
        const failed = (await Promise.allSettled([model.ready(current, report), index, lists])).find(
          (r) => r.status === 'rejected',
        );
        if (failed !== undefined) throw failed.reason;
      });
    },

    async duplicateGroups(strictness, start, count) {
      return inForeground((current) => current.duplicateGroups(strictness, start, count));
    },

    async checkForUpdate() {
      return builds.checkForUpdate();
    },

    async onDataUpdated(onUpdate) {
      builds.onSwitchedByItself(onUpdate);
    },

    async embed(pixels) {
      const embedding = await foreground.run(() => model.embed(builds.current, pixels, () => {}));
      return Comlink.transfer(embedding, [embedding.buffer]);
    },

    async status() {
      const cache = await builds.cache();
      const storage = await storageStatus(cache, builds.loaded?.manifest, model.isReady);
      return {
        storage,
        collectionLoaded: builds.loaded !== null,
        browseDataStored: builds.loaded !== null && browseDataStoredFor === builds.loaded,
        indexError:
          indexFailure !== null && indexFailure.build === builds.loaded ? indexFailure.message : null,
        ...model.status(),
        crossOriginIsolated: self.crossOriginIsolated,
        hashImplementation: hashImplementation(),
      };
    },
  };
}
