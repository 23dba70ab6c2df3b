import {
  passesCutOff,
  similarityLabel,
  type SimilarityCalibration,
  type SimilarityLabel,
} from '../../core/calibration';
import type { SearchResult } from '../../workers/searchApi';

/** The results cut-off of a search page: the collection's calibration and the least similar label shown. */
export interface CutOffControl {
  /** Null for builds without a calibration: then every result shows, with its raw score only. */
  calibration: SimilarityCalibration | null;
  cutOff: SimilarityLabel;
  onChange: (cutOff: SimilarityLabel) => void;
}

export interface LabelledResult extends SearchResult {
  label: SimilarityLabel | null;
}

/** Results labelled by the calibration and split by the cut-off. */
export function applyCutOff(
  results: SearchResult[],
  control: Pick<CutOffControl, 'calibration' | 'cutOff'>,
): { shown: LabelledResult[]; hidden: LabelledResult[] } {
  const { calibration, cutOff } = control;
  const labelled = results.map((r) => ({
    ...r,
    label: calibration ? similarityLabel(r.score, calibration) : null,
  }));
  if (!calibration) return { shown: labelled, hidden: [] };
  return {
    shown: labelled.filter((r) => passesCutOff(r.label!, cutOff)),
    hidden: labelled.filter((r) => !passesCutOff(r.label!, cutOff)),
  };
}

/** The choices of the cut-off control, closest first. */
export const CUT_OFF_CHOICES: { value: SimilarityLabel; text: string }[] = [
  { value: 'near-identical', text: 'Near-identical only' },
  { value: 'very-similar', text: 'Very similar and closer' },
  { value: 'similar', text: 'Similar and closer' },
  { value: 'loosely-related', text: 'Loosely related and closer' },
  { value: 'unrelated', text: 'All results' },
];
