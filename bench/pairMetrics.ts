import { completeLinkMerges, cutMerges, type ScoredPairs } from '../core/duplicateGroups';

/*
 * Pair precision and recall of duplicate groups: a predicted pair is two images in one group, a true
 * pair two images with the same label (derived from the same original). Also the oracle sweep that
 * gives a method without calibration its best threshold, grouped by the builder's complete link.
 */

export interface PairQuality {
  groups: number;
  /** Images in some group. */
  groupedImages: number;
  predictedPairs: number;
  correctPairs: number;
  truePairs: number;
  /** correct ÷ predicted; null when no pair is predicted. */
  precision: number | null;
  /** correct ÷ true pairs. */
  recall: number;
  /** Harmonic mean of the two; 0 when either is 0 or no pair is predicted. */
  f1: number;
}

/** Pairs of images sharing a label. */
export function truePairCount(labels: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let pairs = 0;
  for (const n of counts.values()) pairs += (n * (n - 1)) / 2;
  return pairs;
}

/** Scores groups (lists of image indices into `labels`) against the labels. */
export function pairQuality(labels: readonly string[], groups: readonly (readonly number[])[]): PairQuality {
  const truePairs = truePairCount(labels);
  let predicted = 0;
  let correct = 0;
  let grouped = 0;
  const seen = new Set<number>();
  for (const g of groups) {
    for (const i of g) {
      if (!(i >= 0 && i < labels.length)) throw new RangeError(`group member ${i} is not an image index`);
      if (seen.has(i)) throw new RangeError(`image ${i} is in more than one group`);
      seen.add(i);
    }
    grouped += g.length;
    predicted += (g.length * (g.length - 1)) / 2;
    const byLabel = new Map<string, number>();
    for (const i of g) byLabel.set(labels[i], (byLabel.get(labels[i]) ?? 0) + 1);
    for (const n of byLabel.values()) correct += (n * (n - 1)) / 2;
  }
  const precision = predicted > 0 ? correct / predicted : null;
  const recall = truePairs > 0 ? correct / truePairs : 0;
  const f1 =
    precision !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return {
    groups: groups.length,
    groupedImages: grouped,
    predictedPairs: predicted,
    correctPairs: correct,
    truePairs,
    precision,
    recall,
    f1,
  };
}

/** `v` scaled to unit length (all zeros stays all zeros), so that a dot product is a cosine. */
export function unitVector(v: ArrayLike<number>): Float32Array {
  let n2 = 0;
  for (let i = 0; i < v.length; i++) n2 += v[i] * v[i];
  const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
  return Float32Array.from(v, (x) => x * inv);
}

/** Every pair of `vectors` whose cosine is at least `min`, exactly (all n²/2 pairs are scored). */
function pairsAbove(vectors: readonly Float32Array[], min: number): ScoredPairs {
  const unit = vectors.map(unitVector);
  const a: number[] = [];
  const b: number[] = [];
  const score: number[] = [];
  for (let i = 0; i < unit.length; i++) {
    for (let j = i + 1; j < unit.length; j++) {
      const x = unit[i];
      const y = unit[j];
      let dot = 0;
      for (let d = 0; d < x.length; d++) dot += x[d] * y[d];
      if (dot >= min) {
        a.push(i);
        b.push(j);
        score.push(dot);
      }
    }
  }
  return { a, b, score };
}

/** Thresholds `from`, `from + step`, … up to `to`, without floating-point drift. */
export function sweepThresholds(from: number, to: number, step: number): number[] {
  const n = Math.floor((to - from) / step + 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Math.round((from + i * step) * 1e6) / 1e6);
}

/**
 * The best F1 over `thresholds` of complete-link groups of the cosines of `vectors` (one dendrogram cut
 * at each threshold, as the builder cuts it per strictness). An oracle: it picks the threshold with
 * the labels, which no real collection has. `grouped` holds that threshold's groups.
 */
export function bestF1(
  labels: readonly string[],
  vectors: readonly Float32Array[],
  thresholds: readonly number[],
): PairQuality & { threshold: number; grouped: number[][] } {
  if (labels.length !== vectors.length) throw new RangeError('one label per vector');
  const merges = completeLinkMerges(pairsAbove(vectors, Math.min(...thresholds)), Math.min(...thresholds));
  let best: (PairQuality & { threshold: number; grouped: number[][] }) | undefined;
  for (const t of thresholds) {
    const groups = cutMerges(merges, t).map((g) => g.nodes);
    const q = pairQuality(labels, groups);
    // Ties go to the stricter threshold: fewer false groups for the same F1.
    if (best === undefined || q.f1 >= best.f1) best = { ...q, threshold: t, grouped: groups };
  }
  return best!;
}
