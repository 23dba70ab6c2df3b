import type { DuplicateGroup, DuplicateGroupsPage, DuplicateStrictness } from '../../workers/searchApi';

/** Groups fetched from the worker per page: enough to fill a screen or two, small enough to stay quick. */
export const GROUPS_PER_PAGE = 30;

/**
 * The groups the duplicates page has loaded at one strictness. The page grows as the reader scrolls
 * or moves down with the keyboard: a collection with thousands of groups loads only those the reader
 * has reached, and the grid renders only those near the viewport.
 */
export type DuplicateList =
  | { status: 'loading'; strictness: DuplicateStrictness }
  /** The build has no duplicate groups file (built before there was one). */
  | { status: 'unavailable'; strictness: DuplicateStrictness }
  | { status: 'failed'; strictness: DuplicateStrictness; message: string }
  | {
      status: 'ready';
      strictness: DuplicateStrictness;
      totalGroups: number;
      totalImages: number;
      threshold: number;
      groups: DuplicateGroup[];
      loadingMore: boolean;
      /** Why the last "more" page failed; cleared when it is asked for again. */
      moreError: string | null;
    };

export type DuplicateListAction =
  | { type: 'first'; page: DuplicateGroupsPage | null; strictness: DuplicateStrictness }
  | { type: 'more-start' }
  | { type: 'more'; page: DuplicateGroupsPage | null; strictness: DuplicateStrictness }
  | { type: 'failed'; message: string; strictness: DuplicateStrictness; more: boolean };

/** Whether there are groups left to load and none on their way. */
export function canLoadMore(list: DuplicateList): boolean {
  return list.status === 'ready' && !list.loadingMore && list.groups.length < list.totalGroups;
}

/** How the list changes as the worker answers; answers for another strictness than the list's are dropped. */
export function duplicateListReducer(list: DuplicateList, action: DuplicateListAction): DuplicateList {
  if (action.type === 'more-start')
    return canLoadMore(list) && list.status === 'ready'
      ? { ...list, loadingMore: true, moreError: null }
      : list;
  if (action.strictness !== list.strictness) return list;
  switch (action.type) {
    case 'first': {
      if (action.page === null) return { status: 'unavailable', strictness: action.strictness };
      const { totalGroups, totalImages, threshold, groups } = action.page;
      return {
        status: 'ready',
        strictness: action.strictness,
        totalGroups,
        totalImages,
        threshold,
        groups,
        loadingMore: false,
        moreError: null,
      };
    }
    case 'more': {
      if (list.status !== 'ready') return list;
      const page = action.page;
      // A new build may have replaced the file under the page: what was loaded no longer lines up.
      if (page === null || page.start !== list.groups.length || page.totalGroups !== list.totalGroups)
        return {
          ...list,
          loadingMore: false,
          moreError: 'the collection changed; reload the page to see its groups',
        };
      return { ...list, groups: [...list.groups, ...page.groups], loadingMore: false };
    }
    case 'failed':
      if (action.more)
        return list.status === 'ready' ? { ...list, loadingMore: false, moreError: action.message } : list;
      return { status: 'failed', strictness: action.strictness, message: action.message };
  }
}
