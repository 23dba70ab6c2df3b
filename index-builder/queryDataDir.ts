import {
  passesCutOff,
  similarityLabel,
  type SimilarityCalibration,
  type SimilarityLabel,
} from '../core/calibration';
import { UnknownItemError, type Collection, type CollectionSearch } from '../core/collection';
import { featurize } from '../core/featurize';
import type { ImageRegion } from '../core/imageRegion';
import type { ModelSpec } from '../core/modelSpec';
import { compactVector } from '../core/vectorTransform';
import type { OnnxModelRunner } from './onnxModelRunner';
import { readQueryImage } from './queryImage';

/*
 * `npm run query`'s searches, over core's Collection (index-builder/openDataDir.ts opens it): the
 * worker's searchById / searchByVector on the same code, for both layouts.
 */

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

function describe(found: CollectionSearch): QueryResult[] {
  return found.results.map(({ item, score }) => ({ id: item.id, album: item.album, name: item.name, score }));
}

/** Searches with an indexed image's stored vector, as the site does for album images. */
export async function queryById(collection: Collection, id: string, k: number): Promise<QueryOutcome> {
  try {
    return { id, results: describe(await collection.searchById(id, k)) };
  } catch (err) {
    if (err instanceof UnknownItemError) return { id, error: `no item with id '${id}' in the index` };
    throw err;
  }
}

/**
 * Searches with an image file: decode → featurize → compact vector → searchByVector. With `region`,
 * only that part of the image (core/imageRegion.ts, cropped at full resolution) is searched.
 */
export async function queryByImage(
  collection: Collection,
  model: { spec: ModelSpec; runner: OnnxModelRunner },
  path: string,
  k: number,
  region?: ImageRegion,
): Promise<QueryOutcome> {
  try {
    const image = await readQueryImage(path, region);
    const [embedding] = await featurize(model.runner, model.spec, [image]);
    const vector = compactVector(await collection.transform(), embedding);
    return { query: path, results: describe(await collection.searchByVector(vector, k)) };
  } catch (err) {
    return { query: path, error: err instanceof Error ? err.message : String(err) };
  }
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
