import { useCallback, useEffect, useReducer, useRef } from 'react';
import { errorMessage } from '../../core/errorMessage';
import type { DuplicateStrictness } from '../../workers/searchApi';
import { searchClient } from '../searchClient';
import { duplicateListReducer, GROUPS_PER_PAGE, type DuplicateList } from './duplicateList';
import { firstPageSize } from './duplicatesPlace';

/**
 * The duplicate groups at `strictness`, first page on mount (as many groups as were loaded when the
 * reader last left this strictness, duplicatesPlace.ts), further pages on `loadMore()`. The worker
 * refilters its one groups file per strictness, so a change needs no rebuild; the caller remounts this
 * (key = strictness) so a new strictness starts from an empty list.
 */
export function useDuplicateList(strictness: DuplicateStrictness): {
  list: DuplicateList;
  loadMore: () => void;
} {
  const [list, dispatch] = useReducer(duplicateListReducer, { status: 'loading', strictness });
  // Where the next page starts, moved on as each answer arrives rather than as React re-renders: a
  // loadMore() made between an answer and the render that shows it (the scroll observer's, a key press)
  // would otherwise ask for the page just received again, and its answer would not line up.
  const cursor = useRef<{ loaded: number; total: number; inFlight: boolean } | null>(null);

  useEffect(() => {
    let cancelled = false;
    cursor.current = null;
    searchClient.duplicateGroups(strictness, 0, firstPageSize(strictness)).then(
      (page) => {
        if (cancelled) return;
        if (page !== null)
          cursor.current = { loaded: page.groups.length, total: page.totalGroups, inFlight: false };
        dispatch({ type: 'first', page, strictness });
      },
      (error: unknown) =>
        !cancelled && dispatch({ type: 'failed', message: errorMessage(error), strictness, more: false }),
    );
    return () => {
      cancelled = true;
    };
  }, [strictness]);

  const loadMore = useCallback(() => {
    const at = cursor.current;
    if (at === null || at.inFlight || at.loaded >= at.total) return;
    at.inFlight = true;
    dispatch({ type: 'more-start' });
    searchClient.duplicateGroups(strictness, at.loaded, GROUPS_PER_PAGE).then(
      (page) => {
        at.inFlight = false;
        if (page !== null && page.start === at.loaded) at.loaded += page.groups.length;
        dispatch({ type: 'more', page, strictness });
      },
      (error: unknown) => {
        at.inFlight = false;
        dispatch({ type: 'failed', message: errorMessage(error), strictness, more: true });
      },
    );
  }, [strictness]);

  return { list, loadMore };
}
