import { useEffect, useState } from 'react';
import type { LoadProgress, SearchResponse } from '../../workers/searchApi';
import { errorMessage } from '../common/errorMessage';
import { copyPixels, type LastUpload } from '../ownImage/lastUpload';
import { searchClient } from '../searchClient';

/** What to search for: an image of the collection by id, or the user's own image. */
export type SearchRequest = { kind: 'id'; id: string } | { kind: 'upload'; upload: LastUpload };

export type SearchState =
  | { status: 'searching' }
  | { status: 'done'; response: SearchResponse }
  | { status: 'failed'; message: string };

export interface SearchResults {
  state: SearchState;
  /** The results shown belong to the previous query or k; the new search is running. */
  stale: boolean;
}

function requestKey(request: SearchRequest, k: number): string {
  return request.kind === 'id' ? `id:${request.id}:${k}` : `upload:${request.upload.serial}:${k}`;
}

/**
 * Runs the search whenever the query or k changes (callers keep `request` referentially stable). Results of an older query that arrive late are
 * dropped, so fast clicking never shows another image's neighbours.
 */
export function useSearchResults(
  request: SearchRequest,
  k: number,
  onProgress: (p: LoadProgress) => void,
): SearchResults {
  const key = requestKey(request, k);
  const [settled, setSettled] = useState<{ key: string; state: SearchState } | null>(null);

  useEffect(() => {
    let cancelled = false;
    const search =
      request.kind === 'id'
        ? searchClient.searchById(request.id, k)
        : searchClient.searchByPixels(copyPixels(request.upload.pixels), k, onProgress);
    search.then(
      (response) => {
        if (!cancelled) setSettled({ key, state: { status: 'done', response } });
      },
      (error: unknown) => {
        if (!cancelled) setSettled({ key, state: { status: 'failed', message: errorMessage(error) } });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [request, k, key, onProgress]);

  if (settled !== null && settled.key === key) return { state: settled.state, stale: false };
  // While the next answer is on its way, keep showing the last results (marked stale) rather than
  // flashing a skeleton for the millisecond an id search takes.
  if (settled !== null && settled.state.status === 'done') return { state: settled.state, stale: true };
  return { state: { status: 'searching' }, stale: false };
}
