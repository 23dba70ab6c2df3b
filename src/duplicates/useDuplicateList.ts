import { useCallback, useEffect, useReducer, useRef } from 'react';
import type { DuplicateStrictness } from '../../workers/searchApi';
import { errorMessage } from '../common/errorMessage';
import { searchClient } from '../searchClient';
import { canLoadMore, duplicateListReducer, GROUPS_PER_PAGE, type DuplicateList } from './duplicateList';
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
  // Two loadMore() calls before the first answer re-renders must not ask for the same page twice.
  const inFlight = useRef(false);

  useEffect(() => {
    let cancelled = false;
    searchClient.duplicateGroups(strictness, 0, firstPageSize(strictness)).then(
      (page) => !cancelled && dispatch({ type: 'first', page, strictness }),
      (error: unknown) =>
        !cancelled && dispatch({ type: 'failed', message: errorMessage(error), strictness, more: false }),
    );
    return () => {
      cancelled = true;
    };
  }, [strictness]);

  const loadMore = useCallback(() => {
    if (inFlight.current || !canLoadMore(list) || list.status !== 'ready') return;
    inFlight.current = true;
    dispatch({ type: 'more-start' });
    const done = () => {
      inFlight.current = false;
    };
    searchClient.duplicateGroups(strictness, list.groups.length, GROUPS_PER_PAGE).then(
      (page) => {
        done();
        dispatch({ type: 'more', page, strictness });
      },
      (error: unknown) => {
        done();
        dispatch({ type: 'failed', message: errorMessage(error), strictness, more: true });
      },
    );
  }, [list, strictness]);

  return { list, loadMore };
}
