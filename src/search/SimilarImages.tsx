import type { LoadProgress } from '../../workers/searchApi';
import type { CutOffControl } from './cutOff';
import { CutOffSelector } from './CutOffSelector';
import { KSelector } from './KSelector';
import { RegionCropNote } from './region/RegionCropNote';
import { ResultList } from './ResultList';
import { useSearchResults, type SearchRequest } from './useSearchResults';

interface SimilarImagesProps {
  /** Keep referentially stable: a new object searches again. */
  request: SearchRequest;
  k: number;
  onKChange: (k: number) => void;
  cutOff: CutOffControl;
  onProgress: (p: LoadProgress) => void;
}

/** The "Similar images" section under a query image: the k selector and the results. */
export function SimilarImages({ request, k, onKChange, cutOff, onProgress }: SimilarImagesProps) {
  const { state, stale, retry } = useSearchResults(request, k, onProgress);
  return (
    <section className="similar" aria-labelledby="similar-heading">
      <div className="section-bar">
        <h2 id="similar-heading">Most similar</h2>
        <div className="result-controls">
          {cutOff.calibration && <CutOffSelector cutOff={cutOff.cutOff} onChange={cutOff.onChange} />}
          <KSelector k={k} onChange={onKChange} />
        </div>
      </div>
      {state.status === 'done' && state.crop && !stale && <RegionCropNote crop={state.crop} />}
      <ResultList
        state={state}
        stale={stale}
        searchingLabel={
          request.kind === 'upload'
            ? 'Reading your image with the model…'
            : request.kind === 'region'
              ? 'Reading the region with the model…'
              : 'Searching for similar images…'
        }
        k={k}
        cutOff={cutOff}
        onRetry={retry}
      />
    </section>
  );
}
