import { useCallback, useEffect, useState } from 'react';
import type { LoadInfo, LoadProgress } from '../../workers/searchApi';
import { buildCatalogView, type CatalogView } from '../catalog/catalogView';
import { DATA_URL } from '../catalog/dataUrl';
import { errorMessage } from '../common/errorMessage';
import { searchClient } from '../searchClient';

export type IndexState =
  | { status: 'loading' }
  | { status: 'ready'; info: LoadInfo; view: CatalogView }
  | { status: 'failed'; message: string };

export interface SearchIndex {
  state: IndexState;
  retry: () => void;
}

/** Loads manifest, index and catalog once (the worker reads them from cache when it can). */
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
          if (!cancelled) setState({ status: 'ready', info, view: buildCatalogView(info.catalog) });
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
