import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../../core/errorMessage';
import { formatRegion, type ImageRegion } from '../../core/imageRegion';
import type { LoadProgress, SearchResponse } from '../../workers/searchApi';
import { copyPixels, type LastUpload } from '../ownImage/lastUpload';
import { searchClient } from '../searchClient';
import { cropRegion, type RegionCrop, type RegionImage } from './region/regionSource';

/** What to search for: an image of the collection by id, the user's own image, or a region of either. */
export type SearchRequest =
  | { kind: 'id'; id: string }
  | { kind: 'upload'; upload: LastUpload }
  | { kind: 'region'; image: RegionImage; region: ImageRegion };

export type SearchState =
  | { status: 'searching' }
  /** crop: for a region search, what was cut out and from which rendition. */
  | { status: 'done'; response: SearchResponse; crop?: Omit<RegionCrop, 'pixels'> }
  | { status: 'failed'; message: string };

export interface SearchResults {
  state: SearchState;
  /** The results shown belong to the previous query or k; the new search is running. */
  stale: boolean;
  /** Runs the same search again (after a failure). */
  retry: () => void;
}

function requestKey(request: SearchRequest, k: number): string {
  switch (request.kind) {
    case 'id':
      return `id:${request.id}:${k}`;
    case 'upload':
      return `upload:${request.upload.serial}:${k}`;
    case 'region':
      return `region:${request.image.key}:${formatRegion(request.region)}:${k}`;
  }
}

/**
 * Cuts the region out on the page and searches its pixels in the worker (the buffer is transferred).
 * The page, not the worker, cuts it: it holds the own image's file, decodes with the browser's own
 * decoder (EXIF orientation, colour space, every format the browser reads) as for any own image, and
 * the worker's searchByPixels is the path already proven equal to `npm run query`. Only the crop, at
 * most 1024 px on a side, crosses to the worker.
 */
async function searchRegion(
  request: Extract<SearchRequest, { kind: 'region' }>,
  k: number,
  onProgress: (p: LoadProgress) => void,
): Promise<SearchState> {
  const { pixels, ...crop } = await cropRegion(request.image, request.region);
  const response = await searchClient.searchByPixels(pixels, k, onProgress);
  return { status: 'done', response, crop };
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
  // Bumped to search again: a part of the collection that could not be fetched (offline, a dropped
  // connection) is fetched anew, since the worker does not remember a failed load.
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => {
    setSettled(null);
    setAttempt((n) => n + 1);
  }, []);
  const failed = settled !== null && settled.key === key && settled.state.status === 'failed';

  // A search that failed while offline runs again by itself once the browser is back online.
  useEffect(() => {
    if (!failed) return;
    window.addEventListener('online', retry);
    return () => window.removeEventListener('online', retry);
  }, [failed, retry]);

  useEffect(() => {
    let cancelled = false;
    const done = (response: SearchResponse): SearchState => ({ status: 'done', response });
    const search =
      request.kind === 'id'
        ? searchClient.searchById(request.id, k).then(done)
        : request.kind === 'upload'
          ? searchClient.searchByPixels(copyPixels(request.upload.pixels), k, onProgress).then(done)
          : searchRegion(request, k, onProgress);
    search.then(
      (state) => {
        if (!cancelled) setSettled({ key, state });
      },
      (error: unknown) => {
        if (!cancelled) setSettled({ key, state: { status: 'failed', message: errorMessage(error) } });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [request, k, key, onProgress, attempt]);

  if (settled !== null && settled.key === key) return { state: settled.state, stale: false, retry };
  // While the next answer is on its way, keep showing the last results (marked stale) rather than
  // flashing a skeleton for the millisecond an id search takes.
  if (settled !== null && settled.state.status === 'done')
    return { state: settled.state, stale: true, retry };
  return { state: { status: 'searching' }, stale: false, retry };
}
