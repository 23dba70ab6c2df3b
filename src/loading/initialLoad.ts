import type { LoadInfo, LoadProgress } from '../../workers/searchApi';
import { DATA_URL } from '../catalog/dataUrl';
import { searchClient } from '../searchClient';

/*
 * The collection's first load starts while the page's script runs (main.tsx), before React's first
 * render, so the worker's start-up and first fetches overlap the render instead of waiting for its
 * effects (docs/architecture.md, "How a query flows"). useSearchIndex takes the running load over;
 * progress sent before it did is replayed to it.
 */

type Report = (p: LoadProgress) => void;

export interface InitialLoad {
  /** Starts the load (once). */
  start: () => void;
  /**
   * The started load, with its progress so far and from now on sent to `onProgress`; null when none
   * was started or it was taken already (a retry, or React running an effect twice), so the caller
   * loads by itself.
   */
  take: (onProgress: Report) => Promise<LoadInfo> | null;
}

/** Progress of the started load: kept until someone takes it over, then sent to them. */
interface Relay {
  early: LoadProgress[];
  listener: Report | null;
}

export function createInitialLoad(load: (onProgress: Report) => Promise<LoadInfo>): InitialLoad {
  let started = false;
  let running: { relay: Relay; promise: Promise<LoadInfo> } | null = null;
  return {
    start() {
      if (started) return;
      started = true;
      const relay: Relay = { early: [], listener: null };
      const promise = load((p) => {
        if (relay.listener) relay.listener(p);
        else relay.early.push(p);
      });
      // Whoever takes the load over reports its failure; until then it is not an unhandled rejection.
      promise.catch(() => {});
      running = { relay, promise };
    },
    take(onProgress) {
      const taken = running;
      if (taken === null) return null;
      running = null;
      for (const p of taken.relay.early.splice(0)) onProgress(p);
      taken.relay.listener = onProgress;
      return taken.promise;
    },
  };
}

/** The app's first load of the data dir next to the page. */
export const initialLoad = createInitialLoad((onProgress) => searchClient.load(DATA_URL, onProgress));
