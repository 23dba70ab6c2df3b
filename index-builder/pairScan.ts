/*
 * The cell-local pair scan behind the builder's duplicate groups (duplicateDetection.ts): which cells
 * each row probes, and the int8 cosine of each row with the rows of those cells. Rows are laid out by
 * cell (cell c holds rows cellRows[c] ..< cellRows[c+1]).
 */

/** Rows grouped into cells: cell c holds rows cellRows[c] ..< cellRows[c+1]; centroids cells × dims int8. */
export interface RowCells {
  cellRows: Uint32Array;
  centroids: Int8Array;
  /**
   * Rows per cell as a row's probes count them; the cells' own sizes when absent. A resident rebuild
   * that keeps its cells counts them as clustered, so that adding rows moves no other row's probes
   * (duplicatePairReuse.ts).
   */
  probeSizes?: Uint32Array;
}

/** Cells a row chooses its probes from: the cells nearest its own cell's centroid. */
export const NEIGHBOUR_CELLS = 32;

/** Growable typed arrays for pairs. */
export class PairBuffer {
  a = new Uint32Array(1024);
  b = new Uint32Array(1024);
  score = new Float64Array(1024);
  length = 0;

  push(a: number, b: number, score: number): void {
    if (this.length === this.a.length) {
      const grow = <T extends Uint32Array | Float64Array>(x: T): T => {
        const y = new (x.constructor as new (n: number) => T)(x.length * 2);
        y.set(x);
        return y;
      };
      this.a = grow(this.a);
      this.b = grow(this.b);
      this.score = grow(this.score);
    }
    this.a[this.length] = a;
    this.b[this.length] = b;
    this.score[this.length] = score;
    this.length++;
  }
}

/** For each cell: itself, then the nearest other cells by centroid, NEIGHBOUR_CELLS in all. */
function nearCells(cells: RowCells, dims: number): Uint32Array[] {
  const count = cells.cellRows.length - 1;
  const { centroids } = cells;
  const dots = new Float64Array(count);
  const out: Uint32Array[] = [];
  for (let c = 0; c < count; c++) {
    for (let d = 0; d < count; d++) {
      let dot = 0;
      for (let k = 0; k < dims; k++) dot += centroids[c * dims + k] * centroids[d * dims + k];
      dots[d] = d === c ? Infinity : dot;
    }
    const order = Uint32Array.from({ length: count }, (_, d) => d);
    order.sort((x, y) => dots[y] - dots[x] || x - y);
    out.push(order.slice(0, Math.min(count, NEIGHBOUR_CELLS)));
  }
  return out;
}

/** Rows laid out by cell, with what the scan needs of them. */
export interface LaidOutRows {
  /** Int8 rows, `dims` each, grouped by cell as `cells` says. */
  v: Int8Array;
  dims: number;
  cells: RowCells;
  /** nearCells(cells). */
  near: Uint32Array[];
  /** rowNorms(v). */
  norms: Float64Array;
}

export function laidOut(v: Int8Array, dims: number, cells: RowCells): LaidOutRows {
  return { v, dims, cells, near: nearCells(cells, dims), norms: rowNorms(v, dims) };
}

/** The L2 norm of each int8 row. */
function rowNorms(v: Int8Array, dims: number): Float64Array {
  const n = v.length / dims;
  const norms = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let d = 0; d < dims; d++) s += v[r * dims + d] * v[r * dims + d];
    norms[r] = Math.sqrt(s);
  }
  return norms;
}

/**
 * The cells row r (in cell c) probes, as a bit mask over near[c]: its own cell first, then the cells
 * nearest to the row until `probeRows` rows, always the nearest other one, so a row on the border of a
 * full cell still sees across it.
 */
export function probeMask(rows: LaidOutRows, r: number, c: number, probeRows: number): number {
  const { v, dims, near } = rows;
  const { cellRows, centroids, probeSizes } = rows.cells;
  const candidates = near[c];
  const cellDots = new Float64Array(candidates.length);
  candidates.forEach((d, i) => {
    let dot = 0;
    for (let k = 0; k < dims; k++) dot += v[r * dims + k] * centroids[d * dims + k];
    cellDots[i] = dot;
  });
  const order = Array.from(candidates.keys());
  order.sort((x, y) => (x === 0 ? -1 : y === 0 ? 1 : cellDots[y] - cellDots[x] || x - y));
  let covered = 0;
  let mask = 0;
  for (const [taken, i] of order.entries()) {
    if (covered >= probeRows && taken >= 2) break;
    const d = candidates[i];
    covered += probeSizes === undefined ? cellRows[d + 1] - cellRows[d] : probeSizes[d];
    mask |= 1 << i;
  }
  return mask >>> 0;
}

/** probeMask of every row. */
export function probeMasks(rows: LaidOutRows, probeRows: number): Uint32Array {
  const { cellRows } = rows.cells;
  const probes = new Uint32Array(rows.norms.length);
  for (let c = 0; c + 1 < cellRows.length; c++) {
    for (let r = cellRows[c]; r < cellRows[c + 1]; r++) probes[r] = probeMask(rows, r, c, probeRows);
  }
  return probes;
}

/**
 * Every pair of rows where one probes the other's cell, scored once: inside a cell, r with the rows
 * after it; across cells c and d, from the lower cell's side, or from the side that probes when the
 * other does not probe back. Keeps those scoring at least `threshold`.
 */
export function scanPairs(
  rows: LaidOutRows,
  probes: Uint32Array,
  threshold: number,
): { found: PairBuffer; comparisons: number } {
  const { near } = rows;
  const { cellRows } = rows.cells;
  const found = new PairBuffer();
  let comparisons = 0;
  // The rows one row is compared with in one probed cell, gathered first so that they are scored
  // four at a time (scoreRows).
  let maxCell = 0;
  for (let c = 0; c + 1 < cellRows.length; c++) maxCell = Math.max(maxCell, cellRows[c + 1] - cellRows[c]);
  const others = new Uint32Array(maxCell);
  const scored = { ...rows, threshold, found };
  const slotOf = near.map((list) => new Map(Array.from(list, (d, i) => [d, i])));
  for (let c = 0; c + 1 < cellRows.length; c++) {
    const candidates = near[c];
    for (let r = cellRows[c]; r < cellRows[c + 1]; r++) {
      for (let i = 0; i < candidates.length; i++) {
        if (((probes[r] >>> i) & 1) === 0) continue;
        const d = candidates[i];
        let count = 0;
        if (d === c) {
          for (let s = r + 1; s < cellRows[c + 1]; s++) others[count++] = s;
        } else {
          const back = slotOf[d].get(c);
          for (let s = cellRows[d]; s < cellRows[d + 1]; s++) {
            const probedBack = back !== undefined && ((probes[s] >>> back) & 1) === 1;
            if (c < d || !probedBack) others[count++] = s;
          }
        }
        scoreRows(scored, r, others, count);
        comparisons += count;
      }
    }
  }
  return { found, comparisons };
}

/**
 * Scores row r against rows others[0..count) (int8 cosine, as a search scores them) and keeps the
 * pairs at or above the threshold, a < b, in the order of `others`. Four rows at a time, each of r's
 * values loaded once for all four: the dot products are integers, so the scores are exactly those of
 * one row at a time, about 2.5× faster.
 */
export function scoreRows(
  o: { v: Int8Array; dims: number; norms: Float64Array; threshold: number; found: PairBuffer },
  r: number,
  others: Uint32Array,
  count: number,
): void {
  const { v, dims, norms, threshold, found } = o;
  const nr = norms[r];
  if (nr === 0) return;
  const ro = r * dims;
  const keep = (s: number, dot: number) => {
    if (norms[s] === 0) return;
    const score = dot / (nr * norms[s]);
    if (score >= threshold) found.push(Math.min(r, s), Math.max(r, s), score);
  };
  let j = 0;
  for (; j + 3 < count; j += 4) {
    const o0 = others[j] * dims;
    const o1 = others[j + 1] * dims;
    const o2 = others[j + 2] * dims;
    const o3 = others[j + 3] * dims;
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    for (let d = 0; d < dims; d++) {
      const x = v[ro + d];
      d0 += x * v[o0 + d];
      d1 += x * v[o1 + d];
      d2 += x * v[o2 + d];
      d3 += x * v[o3 + d];
    }
    keep(others[j], d0);
    keep(others[j + 1], d1);
    keep(others[j + 2], d2);
    keep(others[j + 3], d3);
  }
  for (; j < count; j++) {
    const so = others[j] * dims;
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += v[ro + d] * v[so + d];
    keep(others[j], dot);
  }
}
