import { ErrorPanel } from '../common/ErrorPanel';
import { ResultCard } from './ResultCard';
import type { SearchState } from './useSearchResults';

interface ResultListProps {
  state: SearchState;
  stale: boolean;
  /** What the wait is for, read out while searching (an own image may first need the model). */
  searchingLabel: string;
  k: number;
}

/** The k nearest images under the query, with a skeleton while the worker searches. */
export function ResultList({ state, stale, searchingLabel, k }: ResultListProps) {
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
  return (
    <>
      <p className="result-summary" data-testid="result-summary">
        {results.length} most similar · found in {elapsedMs < 1 ? '<1' : Math.round(elapsedMs)} ms
      </p>
      <ol
        className={stale ? 'result-grid result-grid-stale' : 'result-grid'}
        aria-busy={stale}
        data-testid="results"
      >
        {results.map((result, i) => (
          <ResultCard key={result.id} item={result.item} score={result.score} rank={i + 1} k={k} />
        ))}
      </ol>
    </>
  );
}
