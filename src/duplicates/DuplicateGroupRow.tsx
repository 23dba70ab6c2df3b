import { memo } from 'react';
import type { SimilarityCalibration } from '../../core/calibration';
import type { DuplicateGroup } from '../../workers/searchApi';
import { formatScore } from '../search/formatScore';
import { DuplicateMemberCard } from './DuplicateMemberCard';

interface DuplicateGroupRowProps {
  group: DuplicateGroup;
  /** Its place in the list, largest group first. */
  index: number;
  k: number;
  calibration: SimilarityCalibration | null;
  /** The member in the tab order, or -1 when it is in another group. */
  tabbableMember: number;
  /** Must keep its identity across renders, or every row renders again on every key. */
  onMemberFocus: (group: number, member: number) => void;
}

const countFormat = new Intl.NumberFormat();

/**
 * One group as a grid row. Memoised: a key that moves focus re-renders the two rows whose tabbable
 * member changed, not every group loaded (a key took 0.7 s with 630 groups loaded, and grew with each page).
 */
export const DuplicateGroupRow = memo(function DuplicateGroupRow({
  group,
  index,
  k,
  calibration,
  tabbableMember,
  onMemberFocus,
}: DuplicateGroupRowProps) {
  return (
    <div role="row" aria-rowindex={index + 1} className="dup-group" data-testid="duplicate-group">
      <div role="rowheader" className="dup-group-header">
        <span className="dup-group-title">Group {countFormat.format(index + 1)}</span>
        <span className="dup-group-note">
          {group.members.length} images · every pair scores at least {formatScore(group.minScore)}
        </span>
      </div>
      {group.members.map((m, mi) => (
        <DuplicateMemberCard
          key={m.item.id}
          member={m}
          group={index}
          index={mi}
          k={k}
          calibration={calibration}
          tabbable={mi === tabbableMember}
          onFocus={onMemberFocus}
        />
      ))}
    </div>
  );
});
