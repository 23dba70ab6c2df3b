import { calibrationFrom, PARTNERS_PER_IMAGE, type SimilarityCalibration } from '../core/calibration';
import { mulberry32 } from '../core/lsh';
import { compactVector, quantize, type VectorTransform } from '../core/vectorTransform';

/*
 * Measures a build's similarity calibration (core/calibration.ts) from what the builder already has:
 * the edited copies it made of a sample of the images to learn the transform (augmentedViews.ts), each
 * scored against its original's stored row exactly as an own-image query would be, and random pairs of
 * stored rows scored as an album-image query would be.
 */

/**
 * Smaller collections get no calibration (the site then shows raw scores and no cut-off): their fitted
 * transform is shaped by too few images, and on a 75-image emoji set the same emoji drawn by another
 * vendor scored like a random pair, so a cut-off would hide true matches.
 */
export const MIN_CALIBRATED_IMAGES = 1000;

/**
 * Enough pairs for a stable 99.9th percentile, and for about 200 of them to lie above the score that
 * gives an average image PARTNERS_PER_IMAGE partners (core/calibration.ts), which needs more pairs
 * the larger the collection: 454,160 for the 11,355-image demo (with 50 above it, two samples put it
 * at 0.742 and 0.753), at most 2,000,000 (a million images then have about ten). All pairs when the
 * collection has fewer.
 */
const MIN_RANDOM_PAIRS_SAMPLED = 20_000;
const MAX_RANDOM_PAIRS_SAMPLED = 2_000_000;
const PAIRS_ABOVE_PER_IMAGE_QUANTILE = 200;

export function randomPairsFor(count: number): number {
  const wanted = Math.ceil((PAIRS_ABOVE_PER_IMAGE_QUANTILE * (count - 1)) / PARTNERS_PER_IMAGE);
  return Math.min(MAX_RANDOM_PAIRS_SAMPLED, Math.max(MIN_RANDOM_PAIRS_SAMPLED, wanted));
}
const PAIR_SEED = 0x63616c69;

/** The score a search gives (core/lshIndex.ts): the cosine of two int8 vectors. */
export function int8Cosine(a: Int8Array, b: Int8Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < a.length; d++) {
    dot += a[d] * b[d];
    na += a[d] * a[d];
    nb += b[d] * b[d];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Up to `max` distinct unordered pairs of 0..count-1 (all of them when there are fewer), seeded. */
export function samplePairs(count: number, max: number, seed = PAIR_SEED): [number, number][] {
  const total = (count * (count - 1)) / 2;
  const pairs: [number, number][] = [];
  if (total <= max) {
    for (let a = 0; a < count; a++) for (let b = a + 1; b < count; b++) pairs.push([a, b]);
    return pairs;
  }
  const next = mulberry32(seed);
  const seen = new Set<number>();
  while (pairs.length < max) {
    const a = next() % count;
    const b = next() % count;
    if (a === b) continue;
    const key = Math.min(a, b) * count + Math.max(a, b);
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([a, b]);
  }
  return pairs;
}

interface CalibrationInputs {
  transform: VectorTransform;
  count: number;
  /** The stored (int8) vector of the image at `position` in the build's input order. */
  vectorOf: (position: number) => Int8Array;
  /** The builder's edited copies: the original's position and the copy's embedding. */
  views: { row: number; embedding: Float32Array }[];
  /** projectEmbedding of views[i] under `transform`, where the caller has it (projectionCache.ts). */
  viewProjection?: (i: number) => Float64Array;
}

/** The build's calibration, or null when it has too few edited copies or images to measure one. */
export function measureCalibration(inputs: CalibrationInputs): SimilarityCalibration | null {
  const { transform, count, vectorOf, views, viewProjection } = inputs;
  if (count < MIN_CALIBRATED_IMAGES) return null;
  // Scored as an own-image query would be: the copy's embedding through the transform, quantized.
  const stored = (i: number) =>
    viewProjection === undefined
      ? compactVector(transform, views[i].embedding)
      : quantize(viewProjection(i), transform.quantScale);
  const editedCopyScores = views.map((v, i) => int8Cosine(stored(i), vectorOf(v.row)));
  const randomPairScores = samplePairs(count, randomPairsFor(count)).map(([a, b]) =>
    int8Cosine(vectorOf(a), vectorOf(b)),
  );
  return calibrationFrom(editedCopyScores, randomPairScores, count);
}
