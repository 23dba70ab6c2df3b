import { cellRowCount, type CellIndexHead, type CellRows } from './cellIndexFormat';
import { assertK } from './residentIndex';
import { TopK } from './topK';

/** A result of a sharded-index query; `position` is the item's place in the sharded catalog. */
export interface CellHit {
  position: number;
  /** Cosine of the int8 vectors, as the resident index computes it. */
  score: number;
}

/**
 * Rows a query gathers before re-ranking, copies included: a floor, then a fraction of the collection,
 * with a cap. With every row in the cell of its nearest centroid and border rows copied into their
 * next cell (index v3), the cells holding a query's neighbours stay about as many as the collection
 * grows, so the floor serves up to a million images: 2,048 rows gave recall@10 1.000 at a million on
 * the bench, against 0.994 for 4,096 rows without copies, and on the emoji demo's real vectors 96.5 %
 * against 98.0 % (docs/index-format.md, "Where a sharded query's time goes").
 */
const PROBE_ROW_FRACTION = 1 / 512;
export const PROBE_MIN_ROWS = 2048;
const PROBE_MAX_ROWS = 32768;

/**
 * Cell requests a query runs at once: the connections a browser opens to one HTTP/1.1 host (S3's
 * website endpoint speaks only HTTP/1.1). A query's cells seldom sit next to one another in the file,
 * so each is a request of its own, and a seventh waits for a second round trip.
 */
export const PARALLEL_CELL_REQUESTS = 6;

/**
 * How much of the index a query reads: the nearest cells until they hold `minRows` rows, or until they
 * number `maxCells` and hold at least PROBE_ROUND_SHARE of those rows.
 */
interface Probe {
  minRows: number;
  maxCells: number;
}

/** Cells past the cap are read only while the cells so far hold less than this share of the rows. */
export const PROBE_ROUND_SHARE = 3 / 4;

/**
 * At the floor a query reads at most PARALLEL_CELL_REQUESTS cells once they hold most of its rows, so its
 * cells come in one round trip: 2,048 rows are 7–8 cells of ~256 rows with copies, and the last cells'
 * requests cost more than the recall they bought (at a million images in Chromium, unseen-cell p50
 * 40–43 ms against 49–60 ms, recall@10 1.000 either way; on the emoji demo's real rows 0.928 against
 * 0.938: docs/index-format.md). Past the floor the cap grows with the rows. A collection within the
 * floor is read whole: exact, and its cells are one contiguous range.
 */
export function defaultProbe(count: number): Probe {
  const minRows = Math.min(
    count,
    Math.max(PROBE_MIN_ROWS, Math.min(PROBE_MAX_ROWS, Math.ceil(count * PROBE_ROW_FRACTION))),
  );
  if (minRows >= count) return { minRows, maxCells: Infinity };
  return { minRows, maxCells: Math.ceil((PARALLEL_CELL_REQUESTS * minRows) / PROBE_MIN_ROWS) };
}

/**
 * The cells to read for a query, nearest centroid first, as `probe` says (multi-probe: the query's own
 * cell alone misses neighbours that fell just across a border).
 */
export function probeCells(head: CellIndexHead, q: Int8Array, { minRows, maxCells }: Probe): number[] {
  const { cells, dims, centroids } = head;
  if (q.length !== dims) throw new RangeError(`query has ${q.length} dims, the index has ${dims}`);
  const scores = new Float64Array(cells);
  for (let c = 0, off = 0; c < cells; c++, off += dims) {
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += q[d] * centroids[off + d];
    scores[c] = dot;
  }
  const order = Array.from({ length: cells }, (_, c) => c).sort((a, b) => scores[b] - scores[a] || a - b);
  const out: number[] = [];
  let rows = 0;
  for (const c of order) {
    if (rows >= minRows || (out.length >= maxCells && rows >= minRows * PROBE_ROUND_SHARE)) break;
    const n = cellRowCount(head, c);
    if (n === 0) continue;
    out.push(c);
    rows += n;
  }
  return out;
}

/**
 * Exact int8 cosine over the rows of the given cells; the same arithmetic as the resident index, so
 * a cell holding the true neighbours yields the same scores. Ties go to the lower catalog position.
 * A row met twice (its own cell and a copy) counts once; `excludePosition` (the queried item) never.
 */
export function searchCells(
  q: Int8Array,
  cells: readonly CellRows[],
  k: number,
  excludePosition = -1,
): CellHit[] {
  assertK(k);
  const dims = q.length;
  let qn2 = 0;
  for (let d = 0; d < dims; d++) qn2 += q[d] * q[d];
  const invQ = qn2 > 0 ? 1 / Math.sqrt(qn2) : 0;
  const top = new TopK(k);
  // A copy holds the same int8 vector as its original, so it scores the same: once taken, skip it.
  const taken = new Set<number>();
  for (const cell of cells) {
    const { vectors, positions } = cell;
    if (vectors.length !== cell.count * dims)
      throw new RangeError(`cell ${cell.cell} has other dims than the query`);
    for (let r = 0, off = 0; r < cell.count; r++, off += dims) {
      const position = positions[r];
      if (position === excludePosition) continue;
      let dot = 0;
      let n2 = 0;
      for (let d = 0; d < dims; d++) {
        const x = vectors[off + d];
        dot += q[d] * x;
        n2 += x * x;
      }
      const score = n2 > 0 ? dot * (1 / Math.sqrt(n2)) * invQ : 0;
      if (top.accepts(position, score) && !taken.has(position)) {
        top.push(position, score);
        taken.add(position);
      }
    }
  }
  return top.sorted().map((h) => ({ position: h.row, score: h.score }));
}
