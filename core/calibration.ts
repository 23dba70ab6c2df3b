import { rejectNewerVersion } from './formatVersion';
import { nonNegativeInt, record } from './jsonChecks';

/*
 * What a similarity score means in this collection. Raw cosines of whitened vectors differ from one
 * collection to the next, so the builder measures two score distributions of the collection itself
 * (index-builder/similarityCalibration.ts): edited copies of its own images (crops, resizes, JPEG,
 * colour changes, small rotations: true near-duplicates) scored against their originals the way an
 * own-image query is scored, and random pairs of different images scored the way an album-image
 * query is. The thresholds between labels are quantiles of those distributions.
 */

const CALIBRATION_VERSION = 1;

/** From the closest match down; a result is labelled with the first whose threshold its score reaches. */
export const SIMILARITY_LABELS = [
  'near-identical',
  'very-similar',
  'similar',
  'loosely-related',
  'unrelated',
] as const;
export type SimilarityLabel = (typeof SIMILARITY_LABELS)[number];

/** Labels with a threshold (everything below the last is 'unrelated'). */
export type ThresholdLabel = Exclude<SimilarityLabel, 'unrelated'>;
const THRESHOLD_LABELS: readonly ThresholdLabel[] = [
  'near-identical',
  'very-similar',
  'similar',
  'loosely-related',
];

export interface SimilarityCalibration {
  version: typeof CALIBRATION_VERSION;
  /** Lowest score of each label; non-increasing down the list. */
  thresholds: Record<ThresholdLabel, number>;
  /** What the thresholds were measured on, for the build report and docs. */
  measured: {
    /** Images in the collection (absent before the per-image bounds: older builds). */
    images?: number;
    editedCopies: number;
    randomPairs: number;
    /** Quantiles of the edited copies' scores against their originals. */
    editedCopy: { p05: number; p50: number };
    /**
     * Quantiles of random pairs' scores, and the score that PARTNERS_PER_IMAGE partners per image reach
     * (absent in older builds).
     */
    randomPair: { p50: number; p99: number; p999: number; perImageBound?: number };
  };
}

/** Fewer samples than these give quantiles too noisy to label anything by. */
export const MIN_EDITED_COPIES = 16;
export const MIN_RANDOM_PAIRS = 1000;

/** The q-quantile (0 ≤ q ≤ 1) of `values`, linear between order statistics. */
export function quantile(values: ArrayLike<number>, q: number): number {
  return sortedQuantile(Float64Array.from(values).sort(), q);
}

function sortedQuantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no values');
  const at = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * How many other images of the collection an average image may have at the two closest labels. Those
 * labels promise an edited copy; a collection where heavy edits score like unrelated pairs (small
 * drawings: a crop of a 64 px emoji is a fragment) would otherwise give every image dozens of them. On
 * the 11,355-emoji demo, the hardest edits' 5th percentile (0.27) was reached by 1 % of random pairs:
 * 110 "very similar" images per image, and near-duplicate groups that held 99 % of the collection.
 * Five leaves room for real copies: a photo with four edited copies of it keeps them (a bound of 2 on
 * near-identical halved that level's recall on the bench's photos with four copies each).
 */
export const PARTNERS_PER_IMAGE = 5;

/** The score that PARTNERS_PER_IMAGE random partners per image reach on average, among `images` images. */
function perImageBound(sortedRandom: Float64Array, images: number): number {
  return sortedQuantile(sortedRandom, 1 - PARTNERS_PER_IMAGE / Math.max(1, images - 1));
}

/**
 * Thresholds from the two distributions:
 *  - near-identical: as close as a typical edited copy (its median score),
 *  - very similar: as close as all but the hardest 5 % of edited copies,
 *  - similar: closer than 999 in 1000 random pairs,
 *  - loosely related: closer than 99 in 100 random pairs.
 * The two closest labels are also never reached by more random pairs than give an average image
 * PARTNERS_PER_IMAGE partners among the collection's `images`: random pairs include real copies and
 * variants, but a handful per image, not a share of the collection.
 * What edited copies score wins where the two distributions disagree below that: a collection with
 * families of near-identical images (an emoji in five skin tones) has random pairs above its hard
 * edits, and those pairs are near-identical, not merely "similar". So the random-pair thresholds are
 * capped at the edit ones (the "similar" band can then be empty). Null when either sample is too small.
 */
export function calibrationFrom(
  editedCopyScores: ArrayLike<number>,
  randomPairScores: ArrayLike<number>,
  images: number,
): SimilarityCalibration | null {
  if (editedCopyScores.length < MIN_EDITED_COPIES || randomPairScores.length < MIN_RANDOM_PAIRS) return null;
  const edits = Float64Array.from(editedCopyScores).sort();
  const random = Float64Array.from(randomPairScores).sort();
  const editedCopy = { p05: sortedQuantile(edits, 0.05), p50: sortedQuantile(edits, 0.5) };
  const randomPair = {
    p50: sortedQuantile(random, 0.5),
    p99: sortedQuantile(random, 0.99),
    p999: sortedQuantile(random, 0.999),
    perImageBound: perImageBound(random, images),
  };
  const near = Math.max(editedCopy.p50, randomPair.perImageBound);
  const very = Math.min(Math.max(editedCopy.p05, randomPair.perImageBound), near);
  const loose = Math.min(randomPair.p99, very);
  const similar = Math.min(Math.max(randomPair.p999, loose), very);
  return {
    version: CALIBRATION_VERSION,
    thresholds: {
      'near-identical': round(near),
      'very-similar': round(very),
      similar: round(similar),
      'loosely-related': round(loose),
    },
    measured: {
      images,
      editedCopies: editedCopyScores.length,
      randomPairs: randomPairScores.length,
      editedCopy: { p05: round(editedCopy.p05), p50: round(editedCopy.p50) },
      randomPair: {
        p50: round(randomPair.p50),
        p99: round(randomPair.p99),
        p999: round(randomPair.p999),
        perImageBound: round(randomPair.perImageBound),
      },
    },
  };
}

/** The label of a result's score. */
export function similarityLabel(score: number, calibration: SimilarityCalibration): SimilarityLabel {
  for (const label of THRESHOLD_LABELS) if (score >= calibration.thresholds[label]) return label;
  return 'unrelated';
}

/** True when `label` is at least as close as `cutOff` (every label passes the cut-off 'unrelated'). */
export function passesCutOff(label: SimilarityLabel, cutOff: SimilarityLabel): boolean {
  return SIMILARITY_LABELS.indexOf(label) <= SIMILARITY_LABELS.indexOf(cutOff);
}

/** How a label reads to a person. */
export function labelText(label: SimilarityLabel): string {
  return label.replace('-', ' ');
}

export function isSimilarityLabel(v: unknown): v is SimilarityLabel {
  return typeof v === 'string' && (SIMILARITY_LABELS as readonly string[]).includes(v);
}

function fail(path: string, message: string): never {
  throw new Error(`invalid calibration: ${path} ${message}`);
}

function finite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a finite number');
  return v;
}

/** Validates parsed calibration JSON (the manifest's `calibration` field); throws naming the bad field. */
export function parseCalibration(json: unknown, path = 'calibration'): SimilarityCalibration {
  const c = record(json, path, fail);
  rejectNewerVersion('calibration', c.version, CALIBRATION_VERSION);
  if (c.version !== CALIBRATION_VERSION)
    fail(`${path}.version`, `must be ${CALIBRATION_VERSION}, got ${JSON.stringify(c.version)}`);
  const t = record(c.thresholds, `${path}.thresholds`, fail);
  const thresholds = {} as Record<ThresholdLabel, number>;
  let previous = Infinity;
  for (const label of THRESHOLD_LABELS) {
    const value = finite(t[label], `${path}.thresholds.${label}`);
    if (value > previous) fail(`${path}.thresholds.${label}`, 'must not exceed the label above it');
    thresholds[label] = previous = value;
  }
  const m = record(c.measured, `${path}.measured`, fail);
  const e = record(m.editedCopy, `${path}.measured.editedCopy`, fail);
  const r = record(m.randomPair, `${path}.measured.randomPair`, fail);
  const optional = <T>(value: unknown, check: (v: unknown) => T) =>
    value === undefined ? undefined : check(value);
  const images = optional(m.images, (v) => nonNegativeInt(v, `${path}.measured.images`, fail));
  const bound = optional(r.perImageBound, (v) => finite(v, `${path}.measured.randomPair.perImageBound`));
  return {
    version: CALIBRATION_VERSION,
    thresholds,
    measured: {
      ...(images === undefined ? {} : { images }),
      editedCopies: nonNegativeInt(m.editedCopies, `${path}.measured.editedCopies`, fail),
      randomPairs: nonNegativeInt(m.randomPairs, `${path}.measured.randomPairs`, fail),
      editedCopy: {
        p05: finite(e.p05, `${path}.measured.editedCopy.p05`),
        p50: finite(e.p50, `${path}.measured.editedCopy.p50`),
      },
      randomPair: {
        p50: finite(r.p50, `${path}.measured.randomPair.p50`),
        p99: finite(r.p99, `${path}.measured.randomPair.p99`),
        p999: finite(r.p999, `${path}.measured.randomPair.p999`),
        ...(bound === undefined ? {} : { perImageBound: bound }),
      },
    },
  };
}
