import { clusterCells } from './cellClustering';
import { PROBE_ROWS, capPerImage, type CandidatePairs } from './duplicateDetection';
import { KEY_BYTES, type PairState } from './duplicatePairsFile';
import {
  PairBuffer,
  laidOut,
  probeMask,
  probeMasks,
  scanPairs,
  scoreRows,
  type LaidOutRows,
  type RowCells,
} from './pairScan';

/*
 * Candidate pairs of a build that reuse the previous build's (issue 15: duplicate grouping
 * recomputed 20 M int8 dot products over the whole collection on every rebuild), in either layout.
 *
 * A build clusters its rows into cells for the pair scan (duplicateDetection.ts). A rebuild
 * whose rows did not change (the transform was kept, no blend) keeps those cells: unchanged rows stay
 * in their cell, new rows go to the nearest centroid, and each row's probes count the rows of a cell as
 * they were when it was clustered (RowCells.probeSizes). Then whether two unchanged rows are compared,
 * and their score, is what it was, so their pairs are taken from duplicate-pairs.bin and only pairs
 * with a new row are scored. The result is exactly what candidatePairs gives on the same rows with the
 * same cells (duplicatePairReuse.test.ts); refitting the transform, too many rows placed since the
 * cells were clustered, or anything odd about the file clusters afresh.
 */

/**
 * Pairs are kept down to this far below the loosest threshold: the next build's calibration moves the
 * threshold a little, and pairs below the kept ones cannot be recovered without scanning again.
 */
const PAIR_MARGIN = 0.05;
/**
 * More rows placed in kept cells (this rebuild's new ones and earlier rebuilds') than this share of
 * the clustered ones, and the cells are clustered again.
 */
export const MAX_NEW_SHARE = 0.1;

export interface ReusablePairsInput {
  /** Int8 rows, `dims` each: index rows (resident layout) or images in listing order (sharded). */
  vectors: Int8Array;
  dims: number;
  /** The loosest duplicate threshold of this build. */
  threshold: number;
  /** Content hash of each row's image (its first 32 hex digits identify the row across builds). */
  hashes: string[];
  key: Buffer;
  previous?: PairState;
  /** The scan's probe budget (small collections in tests); `key` must cover it. */
  probeRows?: number;
  /** The cell size to cluster at (a sharded build's `rowsPerCell`); `key` must cover it. */
  rowsPerCell?: number;
}

export interface ReusablePairs {
  /** What findDuplicateGroups groups: pairs ≥ threshold, capped per image, in the input's rows. */
  pairs: CandidatePairs;
  /** For the next build. */
  state: PairState;
  /** The cells the scan used (rows in cell order: `order[cellRow]` = input row); a sharded index is laid out by them. */
  cells: RowCells & { order: Uint32Array };
  /** Rows whose pairs were scanned afresh (all of them when nothing was reused). */
  scanned: number;
}

/** The candidate pairs of a build, reusing `previous` where it is valid for these rows. */
export function reusablePairs(o: ReusablePairsInput): ReusablePairs {
  return reusePairs(o) ?? scanAll(o);
}

const keyOf = (hash: string) => hash.slice(0, 2 * KEY_BYTES);

/** Keys that occur once: rows of identical content are always scanned afresh. */
function uniqueKeys(keys: readonly string[]): Map<string, number> {
  const at = new Map<string, number>();
  const repeated = new Set<string>();
  keys.forEach((k, i) => (at.has(k) ? repeated.add(k) : at.set(k, i)));
  for (const k of repeated) at.delete(k);
  return at;
}

/** Rows laid out by cell (stable in index order). */
function arrange(vectors: Int8Array, dims: number, rowCells: Uint32Array, cells: number) {
  const n = rowCells.length;
  const cellRows = new Uint32Array(cells + 1);
  for (const c of rowCells) cellRows[c + 1]++;
  for (let c = 0; c < cells; c++) cellRows[c + 1] += cellRows[c];
  const next = cellRows.slice(0, cells);
  const order = new Uint32Array(n);
  const cellRowOf = new Uint32Array(n);
  for (let r = 0; r < n; r++) {
    const at = next[rowCells[r]]++;
    order[at] = r;
    cellRowOf[r] = at;
  }
  const v = new Int8Array(vectors.length);
  order.forEach((src, row) => v.set(vectors.subarray(src * dims, (src + 1) * dims), row * dims));
  return { v, cellRows, order, cellRowOf };
}

function stateOf(
  o: ReusablePairsInput,
  placed: number,
  threshold: number,
  cells: RowCells & { probeSizes: Uint32Array },
  rowCells: Uint32Array,
  probesByIndexRow: Uint32Array,
  raw: PairBuffer,
  order: Uint32Array,
): PairState {
  const pairs = {
    a: new Uint32Array(raw.length),
    b: new Uint32Array(raw.length),
    score: raw.score.slice(0, raw.length),
  };
  for (let i = 0; i < raw.length; i++) {
    const a = order[raw.a[i]];
    const b = order[raw.b[i]];
    pairs.a[i] = Math.min(a, b);
    pairs.b[i] = Math.max(a, b);
  }
  return {
    key: o.key,
    dims: o.dims,
    placed,
    threshold,
    centroids: cells.centroids,
    probeSizes: cells.probeSizes,
    rowKeys: o.hashes.map(keyOf),
    rowCells,
    probes: probesByIndexRow,
    pairs,
  };
}

/** The pairs ≥ threshold of `raw` (cell rows), capped per image and in input rows. */
function grouped(
  raw: PairBuffer,
  threshold: number,
  order: Uint32Array,
  comparisons: number,
): CandidatePairs {
  const kept = new PairBuffer();
  for (let i = 0; i < raw.length; i++)
    if (raw.score[i] >= threshold) kept.push(raw.a[i], raw.b[i], raw.score[i]);
  return capPerImage(kept, order, comparisons);
}

/** A first build, or one that cannot reuse: cluster, scan every row, keep the pairs down to the margin. */
function scanAll(o: ReusablePairsInput): ReusablePairs {
  const { vectors, dims } = o;
  const n = vectors.length / dims;
  const clustering = clusterCells(vectors, dims, { rowsPerCell: o.rowsPerCell });
  const cellCount = clustering.cellRows.length - 1;
  const rowCells = new Uint32Array(n);
  for (let c = 0; c < cellCount; c++)
    for (let row = clustering.cellRows[c]; row < clustering.cellRows[c + 1]; row++)
      rowCells[clustering.order[row]] = c;
  const { v, cellRows, order } = arrange(vectors, dims, rowCells, cellCount);
  const probeSizes = Uint32Array.from({ length: cellCount }, (_, c) => cellRows[c + 1] - cellRows[c]);
  const cells = { cellRows, centroids: clustering.centroids, probeSizes };
  const rows = laidOut(v, dims, cells);
  const probes = probeMasks(rows, o.probeRows ?? PROBE_ROWS);
  const floor = o.threshold - PAIR_MARGIN;
  const { found, comparisons } = scanPairs(rows, probes, floor);
  const byIndexRow = new Uint32Array(n);
  order.forEach((src, row) => (byIndexRow[src] = probes[row]));
  return {
    pairs: grouped(found, o.threshold, order, comparisons),
    state: stateOf(o, 0, floor, cells, rowCells, byIndexRow, found, order),
    cells: { ...cells, order },
    scanned: n,
  };
}

/** The nearest centroid of row r (largest dot product; the first on ties). */
function nearestCentroid(v: Int8Array, dims: number, r: number, centroids: Int8Array): number {
  let best = -Infinity;
  let bestC = 0;
  for (let c = 0, co = 0; co < centroids.length; c++, co += dims) {
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += v[r * dims + d] * centroids[co + d];
    if (dot > best) {
      best = dot;
      bestC = c;
    }
  }
  return bestC;
}

/** Undefined when `previous` cannot serve these rows. */
function reusePairs(o: ReusablePairsInput): ReusablePairs | undefined {
  const p = o.previous;
  const { vectors, dims } = o;
  const n = vectors.length / dims;
  if (p === undefined || !p.key.equals(o.key) || p.dims !== dims || p.threshold > o.threshold)
    return undefined;
  const cellCount = p.probeSizes.length;
  const clustered = p.probeSizes.reduce((s, x) => s + x, 0);
  const keys = o.hashes.map(keyOf);
  const now = uniqueKeys(keys);
  const before = uniqueKeys(p.rowKeys);
  // oldRow[r]: the previous build's row of input row r, -1 for a new (or repeated) one.
  const oldRow = new Int32Array(n).fill(-1);
  let fresh = 0;
  for (let r = 0; r < n; r++) {
    const i = now.get(keys[r]) === r ? before.get(keys[r]) : undefined;
    if (i === undefined) fresh++;
    else oldRow[r] = i;
  }
  const placed = p.placed + fresh;
  if (placed > MAX_NEW_SHARE * clustered) return undefined;
  const rowCells = new Uint32Array(n);
  for (let r = 0; r < n; r++)
    rowCells[r] = oldRow[r] >= 0 ? p.rowCells[oldRow[r]] : nearestCentroid(vectors, dims, r, p.centroids);
  const { v, cellRows, order, cellRowOf } = arrange(vectors, dims, rowCells, cellCount);
  const cells = { cellRows, centroids: p.centroids, probeSizes: p.probeSizes };
  const rows = laidOut(v, dims, cells);
  const probes = new Uint32Array(n);
  for (let row = 0; row < n; row++) {
    const src = order[row];
    probes[row] =
      oldRow[src] >= 0
        ? p.probes[oldRow[src]]
        : probeMask(rows, row, rowCells[src], o.probeRows ?? PROBE_ROWS);
  }
  const isNew = new Uint8Array(n);
  for (let row = 0; row < n; row++) isNew[row] = oldRow[order[row]] < 0 ? 1 : 0;

  const raw = new PairBuffer();
  // The previous pairs between rows still here, in this build's cell rows.
  const rowOfOld = new Int32Array(p.rowKeys.length).fill(-1);
  for (let r = 0; r < n; r++) if (oldRow[r] >= 0) rowOfOld[oldRow[r]] = cellRowOf[r];
  for (let i = 0; i < p.pairs.a.length; i++) {
    const a = rowOfOld[p.pairs.a[i]];
    const b = rowOfOld[p.pairs.b[i]];
    if (a >= 0 && b >= 0) raw.push(Math.min(a, b), Math.max(a, b), p.pairs.score[i]);
  }
  const comparisons = scanNewRows(rows, probes, isNew, p.threshold, raw);
  const byIndexRow = new Uint32Array(n);
  order.forEach((src, row) => (byIndexRow[src] = probes[row]));
  return {
    pairs: grouped(raw, o.threshold, order, comparisons),
    state: stateOf(o, placed, p.threshold, cells, rowCells, byIndexRow, raw, order),
    cells: { ...cells, order },
    scanned: fresh,
  };
}

/**
 * The pairs of each new row with the rows the scan compares it with: those in the cells it probes and
 * those that probe its cell (a pair of two new rows from the lower row's side only). Returns the dot
 * products computed.
 */
function scanNewRows(
  rows: LaidOutRows,
  probes: Uint32Array,
  isNew: Uint8Array,
  threshold: number,
  found: PairBuffer,
): number {
  const { near } = rows;
  const { cellRows } = rows.cells;
  const cellCount = cellRows.length - 1;
  const n = probes.length;
  const cellOf = new Uint32Array(n);
  for (let c = 0; c < cellCount; c++) cellOf.fill(c, cellRows[c], cellRows[c + 1]);
  // probers[c]: the rows whose probes include cell c.
  const probers: number[][] = Array.from({ length: cellCount }, () => []);
  for (let s = 0; s < n; s++) {
    const list = near[cellOf[s]];
    for (let i = 0; i < list.length; i++) if ((probes[s] >>> i) & 1) probers[list[i]].push(s);
  }
  const seen = new Int32Array(n).fill(-1);
  const others = new Uint32Array(n);
  const scored = { ...rows, threshold, found };
  let comparisons = 0;
  for (let r = 0; r < n; r++) {
    if (isNew[r] === 0) continue;
    let count = 0;
    const take = (s: number) => {
      if (s === r || seen[s] === r || (isNew[s] === 1 && s < r)) return;
      seen[s] = r;
      others[count++] = s;
    };
    const list = near[cellOf[r]];
    for (let i = 0; i < list.length; i++) {
      if (((probes[r] >>> i) & 1) === 0) continue;
      for (let s = cellRows[list[i]]; s < cellRows[list[i] + 1]; s++) take(s);
    }
    for (const s of probers[cellOf[r]]) take(s);
    scoreRows(scored, r, others, count);
    comparisons += count;
  }
  return comparisons;
}
