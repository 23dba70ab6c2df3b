import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../../core/errorMessage';
import type { LoadInfo, LoadProgress } from '../../workers/searchApi';
import { DATA_URL } from '../catalog/dataUrl';
import { searchClient } from '../searchClient';
import { initialLoad } from './initialLoad';

export type IndexState =
  { status: 'loading' } | { status: 'ready'; info: LoadInfo } | { status: 'failed'; message: string };

export interface SearchIndex {
  state: IndexState;
  retry: () => void;
  /** How many times the data dir was rebuilt under this tab and the worker switched to the new build. */
  updates: number;
}

/** At most one check of the manifest per this many ms, however many images are broken at once. */
const UPDATE_CHECK_INTERVAL_MS = 5_000;

function isDataFileImage(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLImageElement)) return false;
  const dataDir = new URL(DATA_URL, document.baseURI).href;
  return target.currentSrc.startsWith(dataDir) || target.src.startsWith(dataDir);
}

/**
 * Loads the collection once (the worker reads it from cache when it can). The page gets the albums and
 * counts only; items come from the worker a page or an id at a time, whatever the collection's layout.
 * When the data dir is rebuilt while the tab is open, a missing file (a thumbnail the page shows, a
 * shard or cell the worker fetches) makes the worker re-read the manifest and switch to the new build;
 * the new LoadInfo then replaces the old one here.
 */
export function useSearchIndex(onProgress: (p: LoadProgress) => void): SearchIndex {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<IndexState>({ status: 'loading' });
  const [updates, setUpdates] = useState(0);

  useEffect(() => {
    let cancelled = false;
    const report = (p: LoadProgress) => {
      if (!cancelled) onProgress(p);
    };
    // The first run takes over the load main.tsx started; a retry loads again.
    (initialLoad.take(report) ?? searchClient.load(DATA_URL, report)).then(
      (info) => {
        if (cancelled) return;
        setState({ status: 'ready', info });
        void searchClient
          .onDataUpdated((next) => {
            if (cancelled) return;
            setState({ status: 'ready', info: next });
            setUpdates((n) => n + 1);
          })
          .catch((error: unknown) => console.warn('cannot follow data updates', error));
      },
      (error: unknown) => {
        if (!cancelled) setState({ status: 'failed', message: errorMessage(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attempt, onProgress]);

  const ready = state.status === 'ready';
  useEffect(() => {
    if (!ready) return;
    let lastCheck = -Infinity;
    const check = () => {
      const now = performance.now();
      if (now - lastCheck < UPDATE_CHECK_INTERVAL_MS) return;
      lastCheck = now;
      searchClient.checkForUpdate().catch((error: unknown) => console.warn('update check failed', error));
    };
    // Thumbnails and originals are <img> elements: their load errors do not bubble, but can be captured.
    const onError = (event: Event) => {
      if (isDataFileImage(event.target)) check();
    };
    // A tab left open while the collection was rebuilt shows the new build when the person comes back
    // to it (one small request for the manifest, usually a 304), not only once the old build's files
    // are gone, two builds later.
    const onVisible = () => {
      if (document.visibilityState === 'visible') check();
    };
    window.addEventListener('error', onError, true);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('error', onError, true);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ready]);

  const retry = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  return { state, retry, updates };
}
