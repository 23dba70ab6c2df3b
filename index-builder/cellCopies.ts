import type { CellCopies } from '../core/cellIndexFormat';
import { int8Dots } from './denseKernels';

/**
 * A row is also stored in the cell of its nearest other centroid when that centroid scores at least
 * this share of its own (as SPANN places border vectors in several clusters). On the bench's million
 * rows this stores 1.22× the rows, and reading 5 cells then finds more of the exact top 10 (0.972) than
 * reading 16 cells without copies did (0.966): docs/index-format.md, "Cells".
 */
export const COPY_SCORE_RATIO = 0.9;
/** Scores computed at once: rows per block × cells stays under this (64 MB of float32). */
const BLOCK_SCORES = 16 * 1024 * 1024;

/**
 * Copies of border rows (index v3 and later). `vectors` and `positions` are the index rows in cell order
 * (cell c holds rows cellRows[c] ..< cellRows[c+1]); centroids are scored as probeCells scores a
 * query (int8 dot products), so a row goes where a query near it looks. Each row is copied at most
 * once; copies are grouped by the cell that holds them, in index-row order. Deterministic.
 */
export async function borderCopies(
  vectors: Int8Array,
  positions: Uint32Array,
  dims: number,
  centroids: Int8Array,
  cellRows: Uint32Array,
): Promise<CellCopies> {
  const cells = cellRows.length - 1;
  const count = cellRows[cells];
  const target = new Int32Array(count).fill(-1);
  if (cells > 1) {
    const cellOf = new Int32Array(count);
    for (let c = 0; c < cells; c++) cellOf.fill(c, cellRows[c], cellRows[c + 1]);
    // Every row against every centroid, as exact integer products (int8Dots): a row's nearest other
    // cell is rarely among the cells whose centroids are nearest its own cell's (for 26 % of the
    // bench's million rows within the nearest 24), so there is no shortlist.
    const all = Float32Array.from(vectors);
    const centres = Float32Array.from(centroids);
    const block = Math.max(1, Math.floor(BLOCK_SCORES / cells));
    for (let start = 0; start < count; start += block) {
      const rows = Math.min(block, count - start);
      const scores = await int8Dots(all.subarray(start * dims, (start + rows) * dims), centres, dims);
      for (let i = 0, at = 0; i < rows; i++, at += cells) {
        const own = cellOf[start + i];
        const ownScore = scores[at + own];
        let best = -Infinity;
        let bestCell = -1;
        for (let c = 0; c < cells; c++) {
          const s = scores[at + c];
          if (c !== own && s > best) {
            best = s;
            bestCell = c;
          }
        }
        // A row whose own cell is not its nearest (the clustering's shortlist missed it) is copied too.
        if (best > ownScore || (ownScore > 0 && best >= COPY_SCORE_RATIO * ownScore))
          target[start + i] = bestCell;
      }
    }
  }
  const rows = new Uint32Array(cells + 1);
  for (const t of target) if (t >= 0) rows[t + 1]++;
  for (let c = 0; c < cells; c++) rows[c + 1] += rows[c];
  const n = rows[cells];
  const copyVectors = new Int8Array(n * dims);
  const copyPositions = new Uint32Array(n);
  const next = rows.slice(0, cells);
  target.forEach((t, row) => {
    if (t < 0) return;
    const at = next[t]++;
    copyVectors.set(vectors.subarray(row * dims, (row + 1) * dims), at * dims);
    copyPositions[at] = positions[row];
  });
  return { rows, vectors: copyVectors, positions: copyPositions };
}
