import { useWindowVirtualizer } from '@tanstack/react-virtual';
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
import { useGridGeometry } from '../common/useGridGeometry';
import { DuplicateGroupRow, estimatedRowHeight } from './DuplicateGroupRow';
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
  gridRef: RefObject<HTMLDivElement | null>;
  /** Set by the grid: focuses a group's first image, scrolling to it when it is not rendered. */
  focusGroupRef: RefObject<((group: number) => void) | null>;
}

/** Scrolls towards an image whose group is not rendered yet before giving up on focusing it. */
const MAX_SCROLLS = 5;

/** Space between groups, as the page's 1rem. */
const ROW_GAP = 16;

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
 * image last focused, with as many groups loaded as before. Virtualised, as the album grid is: only the
 * groups near the viewport are in the DOM (every loaded group was, and with some hundreds each key took
 * a tenth of a second, and the page grew without bound as the reader scrolled).
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
  focusGroupRef,
}: DuplicateGroupGridProps) {
  const [active, setActive] = useState<MemberPosition>(
    () => rememberedPlace(strictness)?.active ?? { group: 0, member: 0 },
  );
  const pending = useRef<PendingMove | null>(null);
  const { width, documentTop } = useGridGeometry(gridRef);
  const virtualizer = useWindowVirtualizer({
    count: groups.length,
    estimateSize: (i) => estimatedRowHeight(groups[i].members.length, width),
    gap: ROW_GAP,
    overscan: 3,
    scrollMargin: documentTop,
  });
  const rows = virtualizer.getVirtualItems();
  const firstRendered = rows.length > 0 ? rows[0].index : 0;
  const lastRendered = rows.length > 0 ? rows[rows.length - 1].index : -1;

  const lastGroup = groups.length - 1;
  const activeGroup = active.group <= lastGroup ? active.group : 0;
  const activeMember =
    active.group <= lastGroup ? Math.min(active.member, groups[active.group].members.length - 1) : 0;
  // One image stays in the tab order when the active one's group has scrolled out of the DOM.
  const rendered = activeGroup >= firstRendered && activeGroup <= lastRendered;
  const tabbableGroup = rendered ? activeGroup : firstRendered;
  const tabbableMember = rendered ? activeMember : 0;

  useEffect(() => {
    rememberPlace(strictness, {
      loaded: groups.length,
      active: { group: activeGroup, member: activeMember },
    });
  }, [strictness, groups.length, activeGroup, activeMember]);

  // A move to an image whose group is not in the DOM scrolls there; focus follows once it renders.
  // Group heights are estimates until measured, so the scroll may fall short: it is tried again.
  const pendingFocus = useRef<{ at: MemberPosition; block: ScrollLogicalPosition; scrolls: number } | null>(
    null,
  );
  const focusIfRendered = useCallback((): boolean => {
    const target = pendingFocus.current;
    if (target === null) return true;
    const cell = gridRef.current?.querySelector<HTMLElement>(
      `[data-group="${target.at.group}"][data-member="${target.at.member}"]`,
    );
    if (!cell) return false;
    pendingFocus.current = null;
    cell.focus({ preventScroll: true });
    cell.scrollIntoView({ block: target.block });
    return true;
  }, [gridRef]);
  useEffect(() => {
    const target = pendingFocus.current;
    if (focusIfRendered() || target === null || virtualizer.isScrolling) return;
    if (target.scrolls >= MAX_SCROLLS) {
      pendingFocus.current = null;
      return;
    }
    target.scrolls++;
    virtualizer.scrollToIndex(target.at.group, { align: target.block === 'center' ? 'center' : 'auto' });
  });

  const moveTo = useCallback(
    (next: MemberPosition, block: ScrollLogicalPosition = 'nearest') => {
      setActive(next);
      pendingFocus.current = { at: next, block, scrolls: 0 };
      focusIfRendered();
    },
    [focusIfRendered],
  );

  // How the section focuses a group (its "Show more groups" button went away).
  useEffect(() => {
    focusGroupRef.current = (group) => moveTo({ group, member: 0 });
  }, [focusGroupRef, moveTo]);

  // Back on the page (mounted once its first groups are in, as many as were loaded when the reader
  // left): to the image the reader left from, once the grid's width (and so the groups' heights) is known.
  const returning = useRef(rememberedPlace(strictness) !== undefined);
  useEffect(() => {
    if (!returning.current || width === 0) return;
    returning.current = false;
    moveTo({ group: activeGroup, member: activeMember }, 'center');
  }, [moveTo, activeGroup, activeMember, width]);

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
    // A key made while focus is on its way to a group not yet rendered moves on from there, not from
    // the image that still has focus (Ctrl+End then ↓ went down from the old place).
    const from = pendingFocus.current?.at ?? { group: Number(group), member: Number(member) };
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
      data-loaded-groups={groups.length}
      style={{ height: virtualizer.getTotalSize() }}
      onKeyDown={onKeyDown}
    >
      {rows.map((row) => (
        <DuplicateGroupRow
          key={`${row.index}:${groups[row.index].members[0].item.id}`}
          group={groups[row.index]}
          index={row.index}
          k={k}
          calibration={calibration}
          tabbableMember={row.index === tabbableGroup ? tabbableMember : -1}
          onMemberFocus={onMemberFocus}
          measureRef={virtualizer.measureElement}
          top={row.start - virtualizer.options.scrollMargin}
        />
      ))}
    </div>
  );
}
