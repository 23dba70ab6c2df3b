import { useEffect, useId, useRef } from 'react';
import type { SimilarityCalibration } from '../../core/calibration';
import type { DuplicateStrictness } from '../../workers/searchApi';
import { ErrorPanel } from '../common/ErrorPanel';
import { unlessOffline } from '../common/unlessOffline';
import { DUPLICATE_STRICTNESS } from '../../core/duplicatesFormat';
import { formatScore } from '../search/formatScore';
import { DuplicateGroupGrid } from './DuplicateGroupGrid';
import { ExportControls } from './ExportControls';
import { strictnessText } from './StrictnessSelector';
import { useDuplicateList } from './useDuplicateList';

interface DuplicateGroupsSectionProps {
  strictness: DuplicateStrictness;
  k: number;
  calibration: SimilarityCalibration | null;
  /** Groups per strictness, to point an empty page at a looser one; null without a duplicates file. */
  counts: Record<DuplicateStrictness, number> | null;
  onStrictnessChange: (strictness: DuplicateStrictness) => void;
}

const countFormat = new Intl.NumberFormat();
const plural = (n: number, one: string, many: string) => `${countFormat.format(n)} ${n === 1 ? one : many}`;

/** The groups at one strictness: summary, export, the groups themselves, loaded as the reader goes. */
export function DuplicateGroupsSection({
  strictness,
  k,
  calibration,
  counts,
  onStrictnessChange,
}: DuplicateGroupsSectionProps) {
  const { list, loadMore } = useDuplicateList(strictness);
  const sentinel = useRef<HTMLDivElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const focusGroupRef = useRef<((group: number) => void) | null>(null);
  const keysHelpId = useId();

  // "Show more groups" goes away once the last page is in. If it had focus, focus moves on to the first
  // of the groups that page brought, rather than falling to the page's body.
  const moreButton = useRef<HTMLButtonElement>(null);
  const moreFocused = useRef(false);
  const groupsBefore = useRef(0);
  const groupCount = list.status === 'ready' ? list.groups.length : 0;
  useEffect(() => {
    const firstNew = groupsBefore.current;
    groupsBefore.current = groupCount;
    if (!moreFocused.current || moreButton.current || groupCount <= firstNew) return;
    moreFocused.current = false;
    if (document.activeElement !== document.body && document.activeElement !== null) return;
    focusGroupRef.current?.(firstNew);
  }, [groupCount]);

  // Scrolling near the end of what is loaded asks for the next page. Observed afresh as each page comes
  // (an observer reports on its first look), so a page that leaves the end still in reach asks for the next.
  useEffect(() => {
    const element = sentinel.current;
    if (!element) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) loadMore();
      },
      { rootMargin: '600px 0px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [loadMore, groupCount]);

  switch (list.status) {
    case 'loading':
      return (
        <div className="dup-grid" aria-busy="true" data-testid="duplicates-loading">
          <p className="visually-hidden">Loading the duplicate groups…</p>
          {Array.from({ length: 3 }, (_, i) => (
            <div key={i} className="dup-group dup-group-skeleton skeleton" />
          ))}
        </div>
      );
    case 'unavailable':
      return (
        <section className="empty-state" data-testid="duplicates-unavailable">
          <h2>This build has no duplicate groups</h2>
          <p>
            The collection was indexed before Lookalike looked for duplicates. Build the index again (
            <code>npm run build-index</code>) to find them.
          </p>
        </section>
      );
    case 'failed':
      return (
        <ErrorPanel
          title="The duplicate groups could not be loaded"
          message={unlessOffline(list.message, 'the duplicate groups are')}
          testId="duplicates-error"
        />
      );
  }

  if (list.totalGroups === 0) {
    const looser = DUPLICATE_STRICTNESS.slice(DUPLICATE_STRICTNESS.indexOf(strictness) + 1).find(
      (s) => (counts?.[s] ?? 0) > 0,
    );
    return (
      <section className="empty-state" data-testid="no-duplicates">
        <h2>No duplicates at this strictness</h2>
        <p>No two images in this collection are {strictnessText(strictness)} copies of each other.</p>
        {looser && counts && (
          <button type="button" className="button" onClick={() => onStrictnessChange(looser)}>
            Show the {plural(counts[looser], 'group', 'groups')} at “{strictnessText(looser)}”
          </button>
        )}
      </section>
    );
  }

  const more = list.groups.length < list.totalGroups;
  return (
    <>
      <div className="dup-toolbar">
        <p className="section-note" data-testid="duplicates-summary">
          {plural(list.totalGroups, 'group', 'groups')} of {plural(list.totalImages, 'image', 'images')} ·
          every pair in a group scores at least {formatScore(list.threshold)} ({strictnessText(strictness)})
          {more && ` · showing ${countFormat.format(list.groups.length)}, more as you scroll`}
        </p>
        <ExportControls strictness={strictness} calibration={calibration} />
      </div>
      <p className="dup-keys" id={keysHelpId}>
        Arrow keys move between images (↑ ↓ between groups, ← → within one); Enter opens an image’s similar
        images.
      </p>
      <DuplicateGroupGrid
        strictness={strictness}
        groups={list.groups}
        totalGroups={list.totalGroups}
        k={k}
        calibration={calibration}
        onNearEnd={loadMore}
        keysHelpId={keysHelpId}
        gridRef={gridRef}
        focusGroupRef={focusGroupRef}
      />
      <div ref={sentinel} className="dup-more">
        {list.moreError !== null && (
          <div className="alert" role="alert" data-testid="more-groups-error">
            <p>More groups could not be loaded: {list.moreError}</p>
          </div>
        )}
        {more && (
          <button
            ref={moreButton}
            type="button"
            className="button"
            // Not disabled while loading, which would drop keyboard focus; loadMore ignores a second ask.
            aria-disabled={list.loadingMore}
            onClick={loadMore}
            onFocus={() => (moreFocused.current = true)}
            onBlur={() => (moreFocused.current = false)}
            data-testid="more-groups"
          >
            {list.loadingMore ? 'Loading more groups…' : 'Show more groups'}
          </button>
        )}
      </div>
    </>
  );
}
