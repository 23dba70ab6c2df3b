import { useEffect, useRef, type ReactNode } from 'react';
import { ErrorPanel } from '../common/ErrorPanel';
import { applyCutOff, type CutOffControl } from './cutOff';
import { ResultCard } from './ResultCard';
import type { SearchState } from './useSearchResults';

interface ResultListProps {
  state: SearchState;
  stale: boolean;
  /** What the wait is for, read out while searching (an own image may first need the model). */
  searchingLabel: string;
  k: number;
  cutOff: CutOffControl;
  /** Runs the failed search again. */
  onRetry: () => void;
}

/**
 * The k nearest images under the query, with a skeleton while the worker searches. One status line stays
 * mounted through every state, so a screen reader hears "searching…" and then what was found.
 */
export function ResultList({ state, stale, searchingLabel, k, cutOff, onRetry }: ResultListProps) {
  // "Show … anyway" goes away with the cut-off it lifts: focus moves to the results it brings, once they
  // are drawn, rather than falling to the page's body.
  const listRef = useRef<HTMLOListElement>(null);
  const focusList = useRef(false);
  useEffect(() => {
    if (!focusList.current || !listRef.current) return;
    focusList.current = false;
    listRef.current.focus();
  });
  const showAnyway = (count: number) => (
    <button
      type="button"
      className="button"
      onClick={() => {
        focusList.current = true;
        cutOff.onChange('unrelated');
      }}
    >
      Show {count === 1 ? 'it' : `all ${count}`} anyway
    </button>
  );

  // The status line's text (null: the body says it all), and what goes under it.
  let status: ReactNode = null;
  let body: ReactNode;
  if (state.status === 'failed') {
    // Most failures are a part of the collection that could not be fetched (offline, a dropped
    // connection): the same search fetches it again, and runs by itself when the browser is back online.
    body = (
      <ErrorPanel title="The search failed" message={state.message} testId="search-error">
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      </ErrorPanel>
    );
  } else if (state.status === 'searching') {
    status = searchingLabel;
    body = (
      <ol className="result-grid" aria-busy="true" aria-label={searchingLabel}>
        {Array.from({ length: k }, (_, i) => (
          <li key={i} className="result-card skeleton" aria-hidden="true">
            <span className="thumb-frame" />
            <span className="result-meta">&nbsp;</span>
          </li>
        ))}
      </ol>
    );
  } else if (state.response.results.length === 0) {
    body = <p className="empty-note">This collection has no other images to compare with.</p>;
  } else {
    const { results, elapsedMs } = state.response;
    const { shown, hidden } = applyCutOff(results, cutOff);
    const showAll = hidden.length > 0 ? showAnyway(hidden.length) : null;
    if (shown.length === 0) {
      body = (
        <section className="empty-state" data-testid="no-close-match">
          <h3>No close match</h3>
          <p>
            None of the {results.length} most similar images is close enough for this cut-off: this collection
            probably has nothing like it.
          </p>
          {showAll}
        </section>
      );
    } else {
      const time = elapsedMs < 1 ? '<1' : Math.round(elapsedMs);
      status = (
        <>
          {shown.length} most similar · found in {time} ms
          {hidden.length > 0 && (
            <span data-testid="results-hidden">
              {' '}
              · {hidden.length} less similar {hidden.length === 1 ? 'result' : 'results'} hidden by the
              cut-off {showAll}
            </span>
          )}
        </>
      );
      body = (
        <ol
          ref={listRef}
          className={stale ? 'result-grid result-grid-stale' : 'result-grid'}
          aria-busy={stale}
          tabIndex={-1}
          data-testid="results"
        >
          {shown.map((result, i) => (
            <ResultCard
              key={result.id}
              item={result.item}
              score={result.score}
              label={result.label}
              rank={i + 1}
              k={k}
              cutOff={cutOff.cutOff}
            />
          ))}
        </ol>
      );
    }
  }

  return (
    <>
      <p
        // Kept in the page while empty: a live region must be there before the text it announces.
        className={status === null ? 'visually-hidden' : 'result-summary'}
        role="status"
        data-testid={state.status === 'searching' ? 'result-searching' : 'result-summary'}
      >
        {status}
      </p>
      {body}
    </>
  );
}
