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
  /** The virtualiser's measuring ref: a group's height depends on its members and the width. */
  measureRef: (element: HTMLElement | null) => void;
  /** Offset from the top of the grid, in CSS pixels. */
  top: number;
}

/** Cards of at least 150 px (130 px on phones) with 0.75 rem between, in a card with 0.75 rem padding. */
const CARD_MIN = 150;
const CARD_GAP = 12;
/** Under the square thumbnail: name, score and label, album, size (measured: 129 px at every width). */
const CARD_TEXT = 129;
/** Padding, border, the group's header line and the gap under it (measured: 61 px). */
const GROUP_CHROME = 61;

/** A first guess of a group's height before it is measured, so the scrollbar is about right. */
export function estimatedRowHeight(members: number, gridWidth: number): number {
  const inner = Math.max(CARD_MIN, (gridWidth || 960) - 2 * 12 - 2);
  const columns = Math.max(1, Math.floor((inner + CARD_GAP) / (CARD_MIN + CARD_GAP)));
  const card = (inner - CARD_GAP * (columns - 1)) / columns + CARD_TEXT;
  const lines = Math.ceil(members / columns);
  return Math.round(GROUP_CHROME + lines * card + (lines - 1) * CARD_GAP);
}

const countFormat = new Intl.NumberFormat();

/**
 * One group as a grid row, placed by the grid's virtualiser. Memoised: a key that moves focus
 * re-renders the rows whose tabbable member changed, not every group on the page.
 */
export const DuplicateGroupRow = memo(function DuplicateGroupRow({
  group,
  index,
  k,
  calibration,
  tabbableMember,
  onMemberFocus,
  measureRef,
  top,
}: DuplicateGroupRowProps) {
  return (
    <div
      ref={measureRef}
      role="row"
      aria-rowindex={index + 1}
      className="dup-group"
      data-testid="duplicate-group"
      data-index={index}
      style={{ transform: `translateY(${top}px)` }}
    >
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
