import { calibrationFrom, PARTNERS_PER_IMAGE, type SimilarityCalibration } from '../core/calibration';
import { mulberry32 } from '../core/prng';
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

/** The score a search gives (core/residentIndex.ts): the cosine of two int8 vectors. */
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

/**
 * Calls `visit(a, b)` for up to `max` distinct unordered pairs of 0..count-1 (all of them when there are
 * fewer), in a seeded order, and returns how many it visited. The pairs are visited as they are drawn,
 * never held: at the cap of 2,000,000 pairs an array of them and a Set of their keys held 344 MB of
 * heap; the open-addressed table of drawn pairs below is 32 MB.
 */
export function forEachSampledPair(
  count: number,
  max: number,
  visit: (a: number, b: number) => void,
  seed = PAIR_SEED,
): number {
  const total = (count * (count - 1)) / 2;
  if (total <= max) {
    for (let a = 0; a < count; a++) for (let b = a + 1; b < count; b++) visit(a, b);
    return total;
  }
  const next = mulberry32(seed);
  const drawn = new DrawnPairs(max);
  let visited = 0;
  while (visited < max) {
    const a = next() % count;
    const b = next() % count;
    if (a === b || !drawn.add(Math.min(a, b), Math.max(a, b))) continue;
    visit(a, b);
    visited++;
  }
  return visited;
}

/** A set of unordered pairs (lo < hi, both below 2^32 − 1) in flat typed arrays, at most half full. */
class DrawnPairs {
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly mask: number;

  constructor(capacity: number) {
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    this.mask = slots - 1;
    this.lo = new Uint32Array(slots).fill(EMPTY_SLOT);
    this.hi = new Uint32Array(slots);
  }

  /** Adds the pair; false when it was already there. */
  add(lo: number, hi: number): boolean {
    let slot = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) & this.mask;
    while (this.lo[slot] !== EMPTY_SLOT) {
      if (this.lo[slot] === lo && this.hi[slot] === hi) return false;
      slot = (slot + 1) & this.mask;
    }
    this.lo[slot] = lo;
    this.hi[slot] = hi;
    return true;
  }
}
const EMPTY_SLOT = 0xffffffff;

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
  const randomPairScores = new Float64Array(Math.min(randomPairsFor(count), (count * (count - 1)) / 2));
  let scored = 0;
  forEachSampledPair(count, randomPairScores.length, (a, b) => {
    randomPairScores[scored++] = int8Cosine(vectorOf(a), vectorOf(b));
  });
  return calibrationFrom(editedCopyScores, randomPairScores, count);
}
