import { MAX_GROUPS_PER_PAGE } from '../../core/duplicatesReader';
import type { DuplicateStrictness } from '../../workers/searchApi';
import { GROUPS_PER_PAGE } from './duplicateList';
import type { MemberPosition } from './memberKeyboard';

/** Where the reader was on the duplicates page at one strictness. */
export interface DuplicatesPlace {
  /** Groups loaded. */
  loaded: number;
  /** The member that had (or last had) focus. */
  active: MemberPosition;
}

// For this visit of the site, as the scroll positions of other pages are (useScrollRestoration.ts):
// opening an image and going back used to start again at the first 30 groups, at the top.
const places = new Map<DuplicateStrictness, DuplicatesPlace>();

export function rememberPlace(strictness: DuplicateStrictness, place: DuplicatesPlace): void {
  places.set(strictness, place);
}

export function rememberedPlace(strictness: DuplicateStrictness): DuplicatesPlace | undefined {
  return places.get(strictness);
}

/** Groups to ask for first: a page, or as many as were loaded when the reader left (one call at most). */
export function firstPageSize(strictness: DuplicateStrictness): number {
  const loaded = places.get(strictness)?.loaded ?? 0;
  return Math.min(MAX_GROUPS_PER_PAGE, Math.max(GROUPS_PER_PAGE, loaded));
}
