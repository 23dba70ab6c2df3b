import { useState, type KeyboardEvent, type RefObject } from 'react';
import type { SimilarityCalibration } from '../../core/calibration';
import type { DuplicateGroup } from '../../workers/searchApi';
import { formatScore } from '../search/formatScore';
import { DuplicateMemberCard } from './DuplicateMemberCard';
import { nextMemberPosition, type MemberPosition } from './memberKeyboard';

interface DuplicateGroupGridProps {
  groups: readonly DuplicateGroup[];
  /** Groups at this strictness in the whole collection (more than `groups` until all have loaded). */
  totalGroups: number;
  k: number;
  calibration: SimilarityCalibration | null;
  /** Asks for the next page of groups; called as focus nears the last loaded group. */
  onNearEnd: () => void;
  /** Id of the text that explains the keys. */
  keysHelpId: string;
  /** The grid element; the section moves focus into it when a button of its own goes away. */
  gridRef: RefObject<HTMLDivElement | null>;
}

/** When focus is this close to the last loaded group, the next page is asked for. */
const LOAD_AHEAD_GROUPS = 3;

const countFormat = new Intl.NumberFormat();

/**
 * The groups as an ARIA grid: a row per group (largest first), a cell per image. One image is in the
 * tab order; ↑/↓ move between groups, ←/→ within one, Home/End to its ends (Ctrl: of the list), Page
 * Up/Down by a screenful, Enter opens the image's search page.
 */
export function DuplicateGroupGrid({
  groups,
  totalGroups,
  k,
  calibration,
  onNearEnd,
  keysHelpId,
  gridRef,
}: DuplicateGroupGridProps) {
  const [active, setActive] = useState<MemberPosition>({ group: 0, member: 0 });
  const lastGroup = groups.length - 1;
  const tabbable: MemberPosition =
    active.group <= lastGroup
      ? { group: active.group, member: Math.min(active.member, groups[active.group].members.length - 1) }
      : { group: 0, member: 0 };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.shiftKey) return;
    const { group, member } = (e.target as HTMLElement).dataset;
    if (group === undefined || member === undefined) return;
    const from = { group: Number(group), member: Number(member) };
    const row = (e.target as HTMLElement).closest<HTMLElement>('[role="row"]');
    const groupsPerPage = Math.max(
      1,
      Math.floor(window.innerHeight / Math.max(1, row?.offsetHeight ?? 1)) - 1,
    );
    const sizes = groups.map((g) => g.members.length);
    const next = nextMemberPosition(
      { key: e.key, ctrlKey: e.ctrlKey || e.metaKey },
      from,
      sizes,
      groupsPerPage,
    );
    if (next === null) return;
    e.preventDefault();
    // Every loaded group is in the DOM (groups arrive a page at a time, they are not virtualised).
    const cell = gridRef.current?.querySelector<HTMLElement>(
      `[data-group="${next.group}"][data-member="${next.member}"]`,
    );
    setActive(next);
    cell?.focus();
    cell?.scrollIntoView({ block: 'nearest' });
    if (next.group >= lastGroup - LOAD_AHEAD_GROUPS) onNearEnd();
  };

  return (
    <div
      ref={gridRef}
      className="dup-grid"
      role="grid"
      aria-label="Groups of near-duplicate images, largest first"
      aria-rowcount={totalGroups}
      aria-describedby={keysHelpId}
      data-testid="duplicate-groups"
      onKeyDown={onKeyDown}
    >
      {groups.map((g, gi) => (
        <div
          key={`${gi}:${g.members[0].item.id}`}
          role="row"
          aria-rowindex={gi + 1}
          className="dup-group"
          data-testid="duplicate-group"
        >
          <div role="rowheader" className="dup-group-header">
            <span className="dup-group-title">Group {countFormat.format(gi + 1)}</span>
            <span className="dup-group-note">
              {g.members.length} images · every pair scores at least {formatScore(g.minScore)}
            </span>
          </div>
          {g.members.map((m, mi) => (
            <DuplicateMemberCard
              key={m.item.id}
              member={m}
              group={gi}
              index={mi}
              k={k}
              calibration={calibration}
              tabbable={gi === tabbable.group && mi === tabbable.member}
              onFocus={(group, member) => setActive({ group, member })}
            />
          ))}
        </div>
      ))}
    </div>
  );
}
