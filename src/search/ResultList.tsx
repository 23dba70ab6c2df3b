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
}

/** The k nearest images under the query, with a skeleton while the worker searches. */
export function ResultList({ state, stale, searchingLabel, k, cutOff }: ResultListProps) {
  if (state.status === 'failed') {
    return <ErrorPanel title="The search failed" message={state.message} testId="search-error" />;
  }
  if (state.status === 'searching') {
    return (
      <>
        <p className="result-summary" data-testid="result-searching">
          {searchingLabel}
        </p>
        <ol className="result-grid" aria-busy="true" aria-label={searchingLabel}>
          {Array.from({ length: k }, (_, i) => (
            <li key={i} className="result-card skeleton" aria-hidden="true">
              <span className="thumb-frame" />
              <span className="result-meta">&nbsp;</span>
            </li>
          ))}
        </ol>
      </>
    );
  }
  const { results, elapsedMs } = state.response;
  if (results.length === 0) {
    return <p className="empty-note">This collection has no other images to compare with.</p>;
  }
  const { shown, hidden } = applyCutOff(results, cutOff);
  const showAll =
    hidden.length > 0 ? (
      <button type="button" className="button" onClick={() => cutOff.onChange('unrelated')}>
        Show {hidden.length === 1 ? 'it' : `all ${hidden.length}`} anyway
      </button>
    ) : null;
  if (shown.length === 0) {
    return (
      <section className="empty-state" data-testid="no-close-match">
        <h3>No close match</h3>
        <p>
          None of the {results.length} most similar images is close enough for this cut-off: this collection
          probably has nothing like it.
        </p>
        {showAll}
      </section>
    );
  }
  const time = elapsedMs < 1 ? '<1' : Math.round(elapsedMs);
  return (
    <>
      <p className="result-summary" data-testid="result-summary">
        {shown.length} most similar · found in {time} ms
        {hidden.length > 0 && (
          <span data-testid="results-hidden">
            {' '}
            · {hidden.length} less similar {hidden.length === 1 ? 'result' : 'results'} hidden by the cut-off{' '}
            {showAll}
          </span>
        )}
      </p>
      <ol
        className={stale ? 'result-grid result-grid-stale' : 'result-grid'}
        aria-busy={stale}
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
    </>
  );
}
