import { mulberry32 } from '../core/prng';

/**
 * Splits int8 vectors into cells for the sharded index: spherical k-means seeded two-level (about √C
 * coarse groups, then cells within each group), then refined over all cells so that every row sits in
 * the cell of its nearest centroid, the cell a query looking for it probes first (flatCells). Cells of
 * one coarse group sit next to each other in the file, so Range requests for near cells may merge.
 * Random-hyperplane buckets were measured first and need 4–10× the bytes for the same recall
 * (docs/sharded-tradeoff.md). Deterministic: seeded sampling, fixed iteration counts, sums in row order.
 */
export interface CellClusteringOptions {
  /** Rows per cell the clustering aims at. */
  rowsPerCell?: number;
  /** Cap on the number of cells, which bounds the head a client must download. */
  maxCells?: number;
  seed?: number;
}

export interface CellClustering {
  /** cells × dims int8 centroid directions (unit vectors × 127). */
  centroids: Int8Array;
  /** cells + 1 entries: cell c holds rows cellRows[c] ..< cellRows[c+1] of `order`. */
  cellRows: Uint32Array;
  /** order[row] = input index of the vector stored at that row. */
  order: Uint32Array;
}

export const DEFAULT_ROWS_PER_CELL = 256;
/**
 * How cells are made; part of the key of the cells a rebuild keeps (duplicatePairsFile.ts), so cells
 * clustered the old way are clustered again. 2: rows in the cell of their nearest centroid (flatCells).
 */
export const CELL_CLUSTERING_VERSION = 2;
const DEFAULT_MAX_CELLS = 8192;
const ITERATIONS = 10;
/** Lloyd steps over all cells after the two-level seed (flatCells). */
const FLAT_ITERATIONS = 2;
/** Groups of cells whose cells are candidates for a row's nearest cell. */
const SHORTLIST_GROUPS = 8;
/** k-means is fitted on a sample of this many rows per centroid; assignment then covers every row. */
const SAMPLE_PER_CENTROID = 48;

function unitRows(vectors: Int8Array, dims: number): Float32Array {
  const n = vectors.length / dims;
  const out = new Float32Array(vectors.length);
  for (let i = 0, off = 0; i < n; i++, off += dims) {
    let n2 = 0;
    for (let d = 0; d < dims; d++) n2 += vectors[off + d] * vectors[off + d];
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (let d = 0; d < dims; d++) out[off + d] = vectors[off + d] * inv;
  }
  return out;
}

function nearest(centres: Float32Array, k: number, dims: number, x: Float32Array, xo: number): number {
  let best = -Infinity;
  let bestC = 0;
  for (let c = 0, co = 0; c < k; c++, co += dims) {
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += centres[co + d] * x[xo + d];
    if (dot > best) {
      best = dot;
      bestC = c;
    }
  }
  return bestC;
}

/** Spherical k-means over `members` (indices into `unit`); returns k unit centres. */
function sphericalKMeans(
  unit: Float32Array,
  dims: number,
  members: Uint32Array,
  k: number,
  next: () => number,
): Float32Array {
  // A seeded sample, evenly spaced over the members so it covers them even when they are sorted.
  const sampleSize = Math.min(members.length, k * SAMPLE_PER_CENTROID);
  const sample = new Uint32Array(sampleSize);
  const step = members.length / sampleSize;
  const jitter = next() / 4294967296;
  for (let i = 0; i < sampleSize; i++)
    sample[i] = members[Math.min(members.length - 1, Math.floor((i + jitter) * step))];
  const centres = new Float32Array(k * dims);
  for (let c = 0; c < k; c++) {
    const src = sample[Math.floor((c * sampleSize) / k)] * dims;
    centres.set(unit.subarray(src, src + dims), c * dims);
  }
  const sums = new Float64Array(k * dims);
  const counts = new Int32Array(k);
  for (let it = 0; it < ITERATIONS; it++) {
    sums.fill(0);
    counts.fill(0);
    for (const i of sample) {
      const c = nearest(centres, k, dims, unit, i * dims);
      counts[c]++;
      for (let d = 0; d < dims; d++) sums[c * dims + d] += unit[i * dims + d];
    }
    for (let c = 0; c < k; c++) {
      let n2 = 0;
      for (let d = 0; d < dims; d++) n2 += sums[c * dims + d] ** 2;
      if (counts[c] === 0 || n2 === 0) {
        // An empty cell restarts on a random sample row instead of staying dead.
        const src = sample[next() % sampleSize] * dims;
        centres.set(unit.subarray(src, src + dims), c * dims);
        continue;
      }
      const inv = 1 / Math.sqrt(n2);
      for (let d = 0; d < dims; d++) centres[c * dims + d] = sums[c * dims + d] * inv;
    }
  }
  return centres;
}

export function clusterCells(
  vectors: Int8Array,
  dims: number,
  options: CellClusteringOptions = {},
): CellClustering {
  const rowsPerCell = options.rowsPerCell ?? DEFAULT_ROWS_PER_CELL;
  const maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
  if (!Number.isInteger(rowsPerCell) || rowsPerCell < 1) throw new RangeError('rowsPerCell must be ≥ 1');
  const n = vectors.length / dims;
  if (!Number.isInteger(n) || n < 1) throw new RangeError('need at least one vector of `dims` values');
  const next = mulberry32(options.seed ?? 0x63656c6c);
  const unit = unitRows(vectors, dims);
  const all = Uint32Array.from({ length: n }, (_, i) => i);

  const totalCells = Math.max(1, Math.min(maxCells, Math.round(n / rowsPerCell)));
  const groups = Math.max(1, Math.round(Math.sqrt(totalCells)));
  const groupCentres = sphericalKMeans(unit, dims, all, groups, next);
  const groupOf = new Uint32Array(n);
  const groupSize = new Uint32Array(groups);
  for (let i = 0; i < n; i++) {
    groupOf[i] = nearest(groupCentres, groups, dims, unit, i * dims);
    groupSize[groupOf[i]]++;
  }
  const groupMembers = Array.from({ length: groups }, (_, g) => new Uint32Array(groupSize[g]));
  const fill = new Uint32Array(groups);
  for (let i = 0; i < n; i++) groupMembers[groupOf[i]][fill[groupOf[i]]++] = i;

  const centroidList: Float32Array[] = [];
  const groupStart: number[] = [];
  for (const members of groupMembers) {
    if (members.length === 0) continue;
    groupStart.push(centroidList.length);
    const k = Math.max(1, Math.min(members.length, Math.round((members.length / n) * totalCells)));
    const centres =
      k === 1 ? meanDirection(unit, dims, members) : sphericalKMeans(unit, dims, members, k, next);
    for (let c = 0; c < k; c++) centroidList.push(centres.subarray(c * dims, (c + 1) * dims));
  }

  groupStart.push(centroidList.length);
  return flatCells(vectors, unit, dims, centroidList, groupStart, next);
}

/**
 * Turns the two-level seed into cells a query finds its neighbours in. A query probes the cells whose
 * stored centroids are nearest over all cells, but two-level k-means puts a row in the nearest cell of
 * its group, which on the bench's million rows was the nearest over all cells for only half of them
 * (docs/index-format.md, "Where a sharded query's time goes"). So a few Lloyd steps run over all cells
 * on the sample, and then every row goes to the cell of its nearest int8 centroid, scored as
 * probeCells scores a query. Candidates come from the row's SHORTLIST_GROUPS nearest groups of seed
 * cells (all cells would cost cells × rows dot products, minutes at a million rows); on the bench's
 * million rows 92 % of rows then get the nearest centroid over all cells. Cells stay ordered by group;
 * empty cells are dropped.
 */
function flatCells(
  vectors: Int8Array,
  unit: Float32Array,
  dims: number,
  seeds: Float32Array[],
  /** Seed cells were made group by group: group g is cells groupStart[g] ..< groupStart[g + 1]. */
  groupStart: number[],
  next: () => number,
): CellClustering {
  const n = vectors.length / dims;
  const k = seeds.length;
  const centres = new Float32Array(k * dims);
  seeds.forEach((c, i) => centres.set(c, i * dims));
  const shortlist = new Shortlist(centres, k, dims, groupStart);

  const sampleSize = Math.min(n, k * SAMPLE_PER_CENTROID);
  const step = n / sampleSize;
  const jitter = next() / 4294967296;
  const sample = Uint32Array.from({ length: sampleSize }, (_, i) =>
    Math.min(n - 1, Math.floor((i + jitter) * step)),
  );
  const sums = new Float64Array(k * dims);
  const counts = new Int32Array(k);
  for (let it = 0; it < FLAT_ITERATIONS; it++) {
    shortlist.refreshGroups();
    sums.fill(0);
    counts.fill(0);
    for (const i of sample) {
      const c = shortlist.nearest(unit, i * dims);
      counts[c]++;
      for (let d = 0; d < dims; d++) sums[c * dims + d] += unit[i * dims + d];
    }
    for (let c = 0; c < k; c++) {
      let n2 = 0;
      for (let d = 0; d < dims; d++) n2 += sums[c * dims + d] ** 2;
      if (counts[c] === 0 || n2 === 0) continue;
      const inv = 1 / Math.sqrt(n2);
      for (let d = 0; d < dims; d++) centres[c * dims + d] = sums[c * dims + d] * inv;
    }
  }

  const quantised = new Int8Array(k * dims);
  for (let i = 0; i < k * dims; i++)
    quantised[i] = Math.max(-127, Math.min(127, Math.round(centres[i] * 127)));
  const cellOf = new Uint32Array(n);
  shortlist.refreshGroups();
  const exact = new Float32Array(quantised);
  const row = new Float32Array(dims);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dims; d++) row[d] = vectors[i * dims + d];
    cellOf[i] = shortlist.nearest(unit, i * dims, exact, row);
  }

  const size = new Uint32Array(k);
  for (let i = 0; i < n; i++) size[cellOf[i]]++;
  const kept = Array.from({ length: k }, (_, c) => c).filter((c) => size[c] > 0);
  const newIndex = new Int32Array(k).fill(-1);
  kept.forEach((c, j) => (newIndex[c] = j));
  const cells = kept.length;
  const centroids = new Int8Array(cells * dims);
  const cellRows = new Uint32Array(cells + 1);
  kept.forEach((c, j) => {
    centroids.set(quantised.subarray(c * dims, (c + 1) * dims), j * dims);
    cellRows[j + 1] = cellRows[j] + size[c];
  });
  const fill = cellRows.slice(0, cells);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[fill[newIndex[cellOf[i]]]++] = i;
  return { centroids, cellRows, order };
}

/** Nearest cell among those of a row's nearest groups (all cells when there are few groups). */
class Shortlist {
  private readonly groupCentres: Float32Array;
  private readonly groups: number;
  private readonly best: Int32Array;
  private readonly bestScore: Float64Array;

  constructor(
    private readonly centres: Float32Array,
    private readonly k: number,
    private readonly dims: number,
    private readonly groupStart: number[],
  ) {
    this.groups = groupStart.length - 1;
    this.groupCentres = new Float32Array(this.groups * dims);
    const take = Math.min(SHORTLIST_GROUPS, this.groups);
    this.best = new Int32Array(take);
    this.bestScore = new Float64Array(take);
  }

  /** Group centres: the mean direction of their cells' centres. */
  refreshGroups(): void {
    const { dims, centres, groupCentres } = this;
    for (let g = 0; g < this.groups; g++) {
      const sum = new Float64Array(dims);
      for (let c = this.groupStart[g]; c < this.groupStart[g + 1]; c++)
        for (let d = 0; d < dims; d++) sum[d] += centres[c * dims + d];
      let n2 = 0;
      for (let d = 0; d < dims; d++) n2 += sum[d] * sum[d];
      const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
      for (let d = 0; d < dims; d++) groupCentres[g * dims + d] = sum[d] * inv;
    }
  }

  /**
   * The nearest cell to x[xo..] among the shortlisted groups' cells; groups are picked by `x` (unit),
   * cells scored by `exact · score` when given (int8 centroids and row, as a query scores them).
   */
  nearest(x: Float32Array, xo: number, exact?: Float32Array, score?: Float32Array): number {
    const { dims, groupCentres, best, bestScore } = this;
    const take = best.length;
    best.fill(-1);
    bestScore.fill(-Infinity);
    for (let g = 0, go = 0; g < this.groups; g++, go += dims) {
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += groupCentres[go + d] * x[xo + d];
      if (dot <= bestScore[take - 1]) continue;
      let j = take - 1;
      while (j > 0 && dot > bestScore[j - 1]) {
        bestScore[j] = bestScore[j - 1];
        best[j] = best[j - 1];
        j--;
      }
      bestScore[j] = dot;
      best[j] = g;
    }
    const m = exact ?? this.centres;
    const v = score ?? x;
    const vo = score === undefined ? xo : 0;
    let top = -Infinity;
    let topCell = this.k;
    for (let j = 0; j < take; j++) {
      const g = best[j];
      if (g < 0) continue;
      for (let c = this.groupStart[g]; c < this.groupStart[g + 1]; c++) {
        let dot = 0;
        for (let d = 0, co = c * dims; d < dims; d++) dot += m[co + d] * v[vo + d];
        if (dot > top || (dot === top && c < topCell)) {
          top = dot;
          topCell = c;
        }
      }
    }
    return topCell;
  }
}

function meanDirection(unit: Float32Array, dims: number, members: Uint32Array): Float32Array {
  const sum = new Float64Array(dims);
  for (const i of members) for (let d = 0; d < dims; d++) sum[d] += unit[i * dims + d];
  let n2 = 0;
  for (let d = 0; d < dims; d++) n2 += sum[d] * sum[d];
  const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
  return Float32Array.from(sum, (x) => x * inv);
}
