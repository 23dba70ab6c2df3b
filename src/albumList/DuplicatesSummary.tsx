import type { DuplicateStrictness } from '../../workers/searchApi';
import { DEFAULT_STRICTNESS, duplicatesHref } from '../routing/route';

interface DuplicatesSummaryProps {
  /** Groups per strictness; the home page counts those the duplicates page opens with. */
  counts: Record<DuplicateStrictness, number>;
  k: number;
}

const countFormat = new Intl.NumberFormat();

/** " · 12 groups of near-duplicates", linking to the duplicates page. */
export function DuplicatesSummary({ counts, k }: DuplicatesSummaryProps) {
  const groups = counts[DEFAULT_STRICTNESS];
  return (
    <>
      {' · '}
      <a href={duplicatesHref(k)} data-testid="duplicates-link">
        {groups === 0
          ? 'no near-duplicates'
          : `${countFormat.format(groups)} ${groups === 1 ? 'group' : 'groups'} of near-duplicates`}
      </a>
    </>
  );
}
