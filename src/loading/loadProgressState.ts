import type { LoadProgress, LoadStage } from '../../workers/searchApi';

/** The latest progress event of each stage; a stage that has not started is absent. */
export type LoadProgressState = Partial<Record<LoadStage, LoadProgress>>;

export function applyProgress(state: LoadProgressState, event: LoadProgress): LoadProgressState {
  return { ...state, [event.stage]: event };
}

/** Stages the header shows, with the words a person reads. */
export const STAGE_LABELS: Record<LoadStage, string> = {
  manifest: 'Manifest',
  index: 'Index',
  catalog: 'Catalog',
  model: 'Model',
  runtime: 'Runtime',
};
