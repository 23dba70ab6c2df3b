import { useCallback, useEffect, useState } from 'react';
import type { LoadInfo, LoadProgress } from '../../workers/searchApi';
import { DATA_URL } from '../catalog/dataUrl';
import { errorMessage } from '../common/errorMessage';
import { searchClient } from '../searchClient';

export type IndexState =
  { status: 'loading' } | { status: 'ready'; info: LoadInfo } | { status: 'failed'; message: string };

export interface SearchIndex {
  state: IndexState;
  retry: () => void;
}

/**
 * Loads the collection once (the worker reads it from cache when it can). The page gets the albums and
 * counts only; items come from the worker a page or an id at a time, whatever the collection's layout.
 */
export function useSearchIndex(onProgress: (p: LoadProgress) => void): SearchIndex {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<IndexState>({ status: 'loading' });

  useEffect(() => {
    let cancelled = false;
    searchClient
      .load(DATA_URL, (p) => {
        if (!cancelled) onProgress(p);
      })
      .then(
        (info) => {
          if (!cancelled) setState({ status: 'ready', info });
        },
        (error: unknown) => {
          if (!cancelled) setState({ status: 'failed', message: errorMessage(error) });
        },
      );
    return () => {
      cancelled = true;
    };
  }, [attempt, onProgress]);

  const retry = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  return { state, retry };
}
