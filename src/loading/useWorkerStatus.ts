import { useCallback, useEffect, useState } from 'react';
import type { LoadProgress, WorkerStatus } from '../../workers/searchApi';
import { searchClient } from '../searchClient';
import { FIRST_CONTENT_FALLBACK_MS, firstContent } from './firstContent';

export interface WorkerStatusHandle {
  status: WorkerStatus | null;
  refresh: () => void;
}

/**
 * Once the index is in and the page has shown its first content (or a short fallback delay has passed),
 * loads the model in the background, so the first own-image search is quick and the model is cached for
 * offline use, and keeps the worker's status (model state, runtime) for the status line. Waiting for the
 * first content keeps the ~14 MB runtime from competing with the first results and thumbnails; an own-image
 * search loads the model on demand either way.
 */
export function useWorkerStatus(
  indexReady: boolean,
  onProgress: (p: LoadProgress) => void,
): WorkerStatusHandle {
  const [status, setStatus] = useState<WorkerStatus | null>(null);

  const refresh = useCallback(() => {
    searchClient.status().then(setStatus, (error: unknown) => {
      console.warn('search worker status unavailable', error);
    });
  }, []);

  useEffect(() => {
    if (!indexReady) return;
    let cancelled = false;
    const refreshUnlessCancelled = () => {
      if (!cancelled) refresh();
    };
    refreshUnlessCancelled();
    void firstContent.shown(FIRST_CONTENT_FALLBACK_MS).then(() => {
      if (cancelled) return;
      // A failed preload is not thrown at anyone: the status says "failed" and explains it.
      searchClient.preloadInBackground(onProgress).then(refreshUnlessCancelled, refreshUnlessCancelled);
    });
    return () => {
      cancelled = true;
    };
  }, [indexReady, onProgress, refresh]);

  return { status, refresh };
}
