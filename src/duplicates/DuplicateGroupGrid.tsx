import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type RefObject,
} from 'react';
import type { SimilarityCalibration } from '../../core/calibration';
import type { DuplicateGroup, DuplicateStrictness } from '../../workers/searchApi';
import { DuplicateGroupRow } from './DuplicateGroupRow';
import { rememberedPlace, rememberPlace } from './duplicatesPlace';
import { nextMemberPosition, type MemberPosition } from './memberKeyboard';

interface DuplicateGroupGridProps {
  strictness: DuplicateStrictness;
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

/** Moves down past the loaded groups, made while the next page loads, and where they started. */
interface PendingMove {
  from: MemberPosition;
  groups: number;
}

/**
 * The groups as an ARIA grid: a row per group (largest first), a cell per image. One image is in the
 * tab order; ↑/↓ move between groups, ←/→ within one, Home/End to its ends (Ctrl: of the list), Page
 * Up/Down by a screenful, Enter opens the image's search page. Going back to the page returns to the
 * image last focused, with as many groups loaded as before.
 */
export function DuplicateGroupGrid({
  strictness,
  groups,
  totalGroups,
  k,
  calibration,
  onNearEnd,
  keysHelpId,
  gridRef,
}: DuplicateGroupGridProps) {
  const [active, setActive] = useState<MemberPosition>(
    () => rememberedPlace(strictness)?.active ?? { group: 0, member: 0 },
  );
  const pending = useRef<PendingMove | null>(null);
  const lastGroup = groups.length - 1;
  const tabbableGroup = active.group <= lastGroup ? active.group : 0;
  const tabbableMember =
    active.group <= lastGroup ? Math.min(active.member, groups[active.group].members.length - 1) : 0;

  useEffect(() => {
    rememberPlace(strictness, {
      loaded: groups.length,
      active: { group: tabbableGroup, member: tabbableMember },
    });
  }, [strictness, groups.length, tabbableGroup, tabbableMember]);

  const moveTo = useCallback(
    (next: MemberPosition, block: ScrollLogicalPosition = 'nearest') => {
      // Every loaded group is in the DOM (groups arrive a page at a time, they are not virtualised).
      const cell = gridRef.current?.querySelector<HTMLElement>(
        `[data-group="${next.group}"][data-member="${next.member}"]`,
      );
      setActive(next);
      cell?.focus({ preventScroll: true });
      cell?.scrollIntoView({ block });
    },
    [gridRef],
  );

  // Back on the page (mounted once its first groups are in, as many as were loaded when the reader
  // left): to the image the reader left from.
  const returning = useRef(rememberedPlace(strictness) !== undefined);
  useEffect(() => {
    if (!returning.current) return;
    returning.current = false;
    moveTo({ group: tabbableGroup, member: tabbableMember }, 'center');
  }, [moveTo, tabbableGroup, tabbableMember]);

  // The next page has come: make the moves that were waiting for it, before another key can arrive.
  useLayoutEffect(() => {
    const move = pending.current;
    if (move === null || groups.length <= move.from.group + 1) return;
    pending.current = null;
    const group = Math.min(groups.length - 1, move.from.group + move.groups);
    moveTo({ group, member: Math.min(move.from.member, groups[group].members.length - 1) });
    if (group >= groups.length - 1 - LOAD_AHEAD_GROUPS) onNearEnd();
  }, [groups, moveTo, onNearEnd]);

  const onMemberFocus = useCallback((group: number, member: number) => {
    setActive((prev) => (prev.group === group && prev.member === member ? prev : { group, member }));
  }, []);

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
    const down = e.key === 'ArrowDown' ? 1 : e.key === 'PageDown' && !e.ctrlKey ? groupsPerPage : 0;
    if (down > 0 && from.group === lastGroup && groups.length < totalGroups) {
      // At the last loaded group: the move waits for the next page instead of being lost.
      e.preventDefault();
      pending.current = { from, groups: (pending.current?.groups ?? 0) + down };
      onNearEnd();
      return;
    }
    const next = nextMemberPosition(
      { key: e.key, ctrlKey: e.ctrlKey || e.metaKey },
      from,
      groups.map((g) => g.members.length),
      groupsPerPage,
    );
    if (next === null) return;
    e.preventDefault();
    pending.current = null;
    moveTo(next);
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
        <DuplicateGroupRow
          key={`${gi}:${g.members[0].item.id}`}
          group={g}
          index={gi}
          k={k}
          calibration={calibration}
          tabbableMember={gi === tabbableGroup ? tabbableMember : -1}
          onMemberFocus={onMemberFocus}
        />
      ))}
    </div>
  );
}
