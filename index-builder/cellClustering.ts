import { mulberry32 } from '../core/lsh';

/**
 * Splits int8 vectors into cells for the sharded index: two-level spherical k-means, so each query
 * reads a few cells of similar rows, and cells of one coarse group sit next to each other in the file
 * (the cells a query probes are mostly neighbours, and their Range requests merge). Random-hyperplane
 * buckets were measured first and need 4–10× the bytes for the same recall (docs/sharded-tradeoff.md).
 * Deterministic: seeded sampling, fixed iteration counts, sums in row order.
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
export const DEFAULT_MAX_CELLS = 8192;
const ITERATIONS = 10;
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
  const cellMembers: number[][] = [];
  for (const members of groupMembers) {
    if (members.length === 0) continue;
    const k = Math.max(1, Math.min(members.length, Math.round((members.length / n) * totalCells)));
    const centres =
      k === 1 ? meanDirection(unit, dims, members) : sphericalKMeans(unit, dims, members, k, next);
    const lists: number[][] = Array.from({ length: k }, () => []);
    for (const i of members) lists[k === 1 ? 0 : nearest(centres, k, dims, unit, i * dims)].push(i);
    lists.forEach((list, c) => {
      if (list.length === 0) return;
      centroidList.push(centres.subarray(c * dims, (c + 1) * dims));
      cellMembers.push(list);
    });
  }

  const cells = cellMembers.length;
  const centroids = new Int8Array(cells * dims);
  const cellRows = new Uint32Array(cells + 1);
  const order = new Uint32Array(n);
  let row = 0;
  cellMembers.forEach((list, c) => {
    const centre = centroidList[c];
    for (let d = 0; d < dims; d++)
      centroids[c * dims + d] = Math.max(-127, Math.min(127, Math.round(centre[d] * 127)));
    for (const i of list) order[row++] = i;
    cellRows[c + 1] = row;
  });
  return { centroids, cellRows, order };
}

function meanDirection(unit: Float32Array, dims: number, members: Uint32Array): Float32Array {
  const sum = new Float64Array(dims);
  for (const i of members) for (let d = 0; d < dims; d++) sum[d] += unit[i * dims + d];
  let n2 = 0;
  for (let d = 0; d < dims; d++) n2 += sum[d] * sum[d];
  const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
  return Float32Array.from(sum, (x) => x * inv);
}
