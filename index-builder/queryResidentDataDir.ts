import {
  passesCutOff,
  similarityLabel,
  type SimilarityCalibration,
  type SimilarityLabel,
} from '../core/calibration';
import { featurize } from '../core/featurize';
import type { SearchHit } from '../core/lshIndex';
import { compactVector } from '../core/vectorTransform';
import type { ImageRegion } from '../core/imageRegion';
import type { LoadedDataDir } from './loadDataDir';
import type { OnnxModelRunner } from './onnxModelRunner';
import { readQueryImage } from './queryImage';

export interface QueryResult {
  id: string;
  album: string;
  name: string;
  score: number;
  /** What the score means in this collection (core/calibration.ts); absent without a calibration. */
  label?: SimilarityLabel;
}

/** One answered (or failed) query; exactly one of results / error is set. */
export type QueryOutcome =
  | { query: string; results: QueryResult[] }
  | { id: string; results: QueryResult[] }
  | { query: string; error: string }
  | { id: string; error: string };

function describe(data: LoadedDataDir, hits: SearchHit[]): QueryResult[] {
  return hits.map(({ row, score }) => {
    const item = data.catalog.items[row];
    return { id: item.id, album: item.album, name: item.name, score };
  });
}

/**
 * Searches with an image file: decode → featurize → compact vector → searchByVector. With `region`,
 * only that part of the image (core/imageRegion.ts, cropped at full resolution) is searched.
 */
export async function queryByImage(
  data: LoadedDataDir,
  runner: OnnxModelRunner,
  path: string,
  k: number,
  region?: ImageRegion,
): Promise<QueryOutcome> {
  try {
    const image = await readQueryImage(path, region);
    const [embedding] = await featurize(runner, data.model.spec, [image]);
    const vector = compactVector(data.index.transform, embedding);
    return { query: path, results: describe(data, data.index.searchByVector(vector, k)) };
  } catch (err) {
    return { query: path, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Searches with an indexed image's stored vector, as the site does for album images. */
export function queryById(data: LoadedDataDir, id: string, k: number): QueryOutcome {
  const row = data.catalog.items.findIndex((it) => it.id === id);
  if (row < 0) return { id, error: `no item with id '${id}' in the index` };
  return { id, results: describe(data, data.index.searchByRow(row, k)) };
}

/**
 * Labels each result by the build's calibration and drops those below `cutOff` (the site's labels and
 * cut-off); unchanged without a calibration.
 */
export function labelOutcome(
  outcome: QueryOutcome,
  calibration: SimilarityCalibration | null,
  cutOff: SimilarityLabel = 'unrelated',
): QueryOutcome {
  if (!calibration || !('results' in outcome)) return outcome;
  const results = outcome.results
    .map((r) => ({ ...r, label: similarityLabel(r.score, calibration) }))
    .filter((r) => passesCutOff(r.label, cutOff));
  return { ...outcome, results };
}
