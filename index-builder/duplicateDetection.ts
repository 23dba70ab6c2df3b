import type { SimilarityCalibration } from '../core/calibration';
import { completeLinkMerges, cutMerges, type Merge } from '../core/duplicateGroups';
import {
  DUPLICATE_STRICTNESS,
  type DuplicateStrictness,
  type StoredGroup,
  type ThresholdSource,
} from '../core/duplicatesFormat';
import { clusterCells } from './cellClustering';
import { PairBuffer, laidOut, probeMasks, scanPairs, type RowCells } from './pairScan';
import { int8Cosine } from './similarityCalibration';

/*
 * The builder's near-duplicate groups: candidate pairs from the index's own int8 vectors, scored as a
 * search scores them (int8 cosine), grouped by complete link (core/duplicateGroups.ts) at the
 * loosest threshold and cut at each stricter one.
 *
 * Candidates are cell-local: rows are grouped into cells of similar rows (the k-means the sharded
 * index uses for its cells), and each row is compared with its own cell and
 * the cells nearest to it until PROBE_ROWS rows are covered, as a query probes cells. A near-duplicate
 * pair scores far above the collection's typical pair, so it almost always shares a cell or lands in a
 * neighbouring one; the cost is under count × PROBE_ROWS int8 dot products (about 0.85× that measured)
 * instead of count² / 2.
 */

/**
 * Rows each row is compared with. On the demo (11,355 emoji in families of near-identical images that
 * straddle cells: a hard case) 2048 finds 99.4 % of the near-identical pairs an exact scan finds (97.8 %
 * of the looser ones) and reproduces 97 % of its near-identical groups exactly (86 % of the very-similar
 * ones); 1024 finds 98.8 % and 94 % (77 %).
 */
export const PROBE_ROWS = 2048;
/**
 * Each image keeps only its closest candidates: bounds the pairs held in memory (count × this at
 * most) when a collection has huge families of near-identical images; a group can then not grow
 * past about this many images.
 */
export const MAX_CANDIDATES_PER_IMAGE = 64;

/**
 * Thresholds of a build without calibration (fewer than 1000 images). Its transform is fitted on few
 * images, so scores spread more than in a calibrated build: on the 34-image e2e fixture a JPEG, a
 * resize or a crop of an emoji scores 0.65–0.91 against it and unrelated smileys up to 0.50 (0.1–0.5
 * and 0.52 before the small-collection whitening regulariser, fitTransform.ts whitenEpsilonFor).
 * Without calibration only clear cases are grouped: lossless copies (1.0) and slight colour changes
 * (0.84–0.91 for +8 % brightness there). Calibrated builds put near-identical at 0.65 (the e2e
 * calibrated fixture) to 0.74 (the demo), so these constants are stricter than any calibrated level.
 */
export const DEFAULT_DUPLICATE_THRESHOLDS: Record<DuplicateStrictness, number> = {
  'near-identical': 0.95,
  'very-similar': 0.88,
  similar: 0.75,
};

interface DuplicateThresholds {
  thresholds: Record<DuplicateStrictness, number>;
  source: ThresholdSource;
}

/** The calibration's near-identical, very-similar and similar thresholds; the constants without one. */
export function duplicateThresholds(
  calibration: SimilarityCalibration | null | undefined,
): DuplicateThresholds {
  if (!calibration) return { thresholds: { ...DEFAULT_DUPLICATE_THRESHOLDS }, source: 'default' };
  const t = calibration.thresholds;
  return {
    thresholds: {
      'near-identical': t['near-identical'],
      'very-similar': t['very-similar'],
      similar: t.similar,
    },
    source: 'calibration',
  };
}

export interface CandidatePairs {
  a: Uint32Array;
  b: Uint32Array;
  score: Float64Array;
  /** Dot products computed: the cost. */
  comparisons: number;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Pairs of rows scoring at least `threshold` (int8 cosine, as a search scores them), each pair once
 * with a < b, each row keeping its MAX_CANDIDATES_PER_IMAGE best. `cells` groups the rows (cells a
 * build kept: duplicatePairReuse.ts); without it the rows are clustered here. Each row probes the
 * cells nearest to itself (among those near its cell) until `probeRows` rows, as a query does: a row
 * at the edge of its cell reaches the neighbour on that side.
 */
export function candidatePairs(
  vectors: Int8Array,
  dims: number,
  threshold: number,
  cells?: RowCells,
  probeRows = PROBE_ROWS,
): CandidatePairs {
  const n = vectors.length / dims;
  if (!Number.isInteger(n)) throw new RangeError('vectors must hold whole rows of `dims` values');
  let rowOf: Uint32Array | undefined;
  let grouped = cells;
  let v = vectors;
  if (grouped === undefined) {
    const c = clusterCells(vectors, dims);
    grouped = c;
    rowOf = c.order;
    v = new Int8Array(vectors.length);
    c.order.forEach((src, row) => v.set(vectors.subarray(src * dims, (src + 1) * dims), row * dims));
  }
  const rows = laidOut(v, dims, grouped);
  const { found, comparisons } = scanPairs(rows, probeMasks(rows, probeRows), threshold);
  return capPerImage(found, rowOf, comparisons);
}

/**
 * Keeps a pair while it is among the best MAX_CANDIDATES_PER_IMAGE of either image, and maps rows back
 * to input positions. Only images over the cap need the pairs ranked, so usually nothing is sorted.
 */
export function capPerImage(
  found: PairBuffer,
  rowOf: Uint32Array | undefined,
  comparisons: number,
): CandidatePairs {
  const n = found.length;
  let maxRow = 0;
  for (let i = 0; i < n; i++) maxRow = Math.max(maxRow, found.b[i]);
  const perRow = new Uint32Array(maxRow + 1);
  for (let i = 0; i < n; i++) {
    perRow[found.a[i]]++;
    perRow[found.b[i]]++;
  }
  let order: Uint32Array | undefined;
  if (perRow.some((k) => k > MAX_CANDIDATES_PER_IMAGE)) {
    order = Uint32Array.from({ length: n }, (_, i) => i);
    order.sort(
      (x, y) => found.score[y] - found.score[x] || found.a[x] - found.a[y] || found.b[x] - found.b[y],
    );
    perRow.fill(0);
  }
  // Without ranking, pairs are kept in place (the buffer is the largest thing a build holds here).
  const out = order === undefined ? found : new PairBuffer();
  let kept = 0;
  for (let k = 0; k < n; k++) {
    const i = order === undefined ? k : order[k];
    if (order !== undefined) {
      if (perRow[found.a[i]] >= MAX_CANDIDATES_PER_IMAGE && perRow[found.b[i]] >= MAX_CANDIDATES_PER_IMAGE)
        continue;
      perRow[found.a[i]]++;
      perRow[found.b[i]]++;
    }
    const a = rowOf === undefined ? found.a[i] : rowOf[found.a[i]];
    const b = rowOf === undefined ? found.b[i] : rowOf[found.b[i]];
    const score = found.score[i];
    if (out === found) {
      out.a[kept] = Math.min(a, b);
      out.b[kept] = Math.max(a, b);
      out.score[kept] = score;
    } else out.push(Math.min(a, b), Math.max(a, b), score);
    kept++;
  }
  return {
    a: out.a.subarray(0, kept),
    b: out.b.subarray(0, kept),
    score: out.score.subarray(0, kept),
    comparisons,
  };
}

/**
 * The complete-link merges of every connected component of the pair graph, one component at a time: a
 * group never spans two components, and only one component's clusters are held at once (the pairs
 * themselves stay in their typed arrays).
 */
export function componentMerges(pairs: CandidatePairs, count: number, minScore: number): Merge[] {
  const parent = Int32Array.from({ length: count }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const n = pairs.a.length;
  for (let i = 0; i < n; i++) {
    const ra = find(pairs.a[i]);
    const rb = find(pairs.b[i]);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  // Pairs bucketed by component (counting sort on the component's root).
  const rootOf = new Int32Array(n);
  const start = new Uint32Array(count + 1);
  for (let i = 0; i < n; i++) start[(rootOf[i] = find(pairs.a[i])) + 1]++;
  for (let r = 0; r < count; r++) start[r + 1] += start[r];
  const next = start.slice(0, count);
  const a = new Uint32Array(n);
  const b = new Uint32Array(n);
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const at = next[rootOf[i]]++;
    a[at] = pairs.a[i];
    b[at] = pairs.b[i];
    score[at] = pairs.score[i];
  }
  const merges: Merge[] = [];
  for (let r = 0; r < count; r++) {
    const from = start[r];
    const to = start[r + 1];
    if (to === from) continue;
    const component = { a: a.subarray(from, to), b: b.subarray(from, to), score: score.subarray(from, to) };
    for (const m of completeLinkMerges(component, minScore)) merges.push(m);
  }
  return merges;
}

/** The threshold candidate pairs are found at: the loosest strictness's. */
export function loosestThreshold(thresholds: Record<DuplicateStrictness, number>): number {
  return Math.min(...DUPLICATE_STRICTNESS.map((s) => thresholds[s]));
}

interface DuplicateGroupsInput {
  /** Int8 vectors by row, `dims` each. */
  vectors: Int8Array;
  dims: number;
  /** Catalog position of a row. */
  positionOf: (row: number) => number;
  /** The item at a catalog position: its id and pixel size pick and order the groups. */
  itemAt: (position: number) => { id: string; width: number; height: number };
  thresholds: Record<DuplicateStrictness, number>;
  /**
   * The candidate pairs at the loosest threshold when the caller has them (a build's, maybe reusing
   * the previous build's: duplicatePairReuse.ts); computed here otherwise.
   */
  pairs?: CandidatePairs;
}

interface DuplicateGroupsResult {
  levels: Record<DuplicateStrictness, { threshold: number; groups: StoredGroup[] }>;
  pairs: number;
  comparisons: number;
}

/** Every level's groups in page order (largest, then tightest, then by the first member's id). */
export function findDuplicateGroups(input: DuplicateGroupsInput): DuplicateGroupsResult {
  const { vectors, dims, thresholds, positionOf, itemAt } = input;
  const loosest = loosestThreshold(thresholds);
  const pairs = input.pairs ?? candidatePairs(vectors, dims, loosest);
  const merges = componentMerges(pairs, vectors.length / dims, loosest);
  const rowVector = (row: number) => vectors.subarray(row * dims, (row + 1) * dims);
  const levels = {} as DuplicateGroupsResult['levels'];
  for (const s of DUPLICATE_STRICTNESS) {
    const groups = cutMerges(merges, thresholds[s]).map((g) => storedGroup(g.nodes, g.minScore));
    groups.sort(
      (x, y) =>
        y.members.length - x.members.length ||
        y.minScore - x.minScore ||
        compareIds(itemAt(x.members[0]).id, itemAt(y.members[0]).id),
    );
    levels[s] = { threshold: thresholds[s], groups };
  }
  return { levels, pairs: pairs.a.length, comparisons: pairs.comparisons };

  function storedGroup(rows: number[], minScore: number): StoredGroup {
    const pixels = (row: number) => {
      const it = itemAt(positionOf(row));
      return it.width * it.height;
    };
    // The representative: most pixels, then first in the catalog.
    const first = rows.reduce((best, r) =>
      pixels(r) > pixels(best) || (pixels(r) === pixels(best) && positionOf(r) < positionOf(best)) ? r : best,
    );
    const others = rows
      .filter((r) => r !== first)
      .map((r) => ({ r, score: round4(int8Cosine(rowVector(first), rowVector(r))) }))
      .sort((x, y) => y.score - x.score || positionOf(x.r) - positionOf(y.r));
    return {
      members: [positionOf(first), ...others.map((o) => positionOf(o.r))],
      scores: [1, ...others.map((o) => o.score)],
      minScore: round4(minScore),
    };
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
