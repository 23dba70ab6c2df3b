import { describe, expect, it } from 'vitest';
import type { CellIndexHead, CellRows } from '../core/cellIndexFormat';
import { probeCells, searchCells } from '../core/cellSearch';
import { clusteredInt8Rows } from '../testing/syntheticEmbeddings';
import { COPY_SCORE_RATIO, borderCopies } from './cellCopies';
import { clusterCells } from './cellClustering';

const DIMS = 96;
const K = 10;

const dot = (a: Int8Array, ai: number, b: Int8Array, bi: number) => {
  let s = 0;
  for (let d = 0; d < DIMS; d++) s += a[ai + d] * b[bi + d];
  return s;
};

const input = clusteredInt8Rows(6_000, DIMS, { spread: 1, centred: true });
const n = input.length / DIMS;
const { order, cellRows, centroids } = clusterCells(input, DIMS, { rowsPerCell: 64 });
const cells = cellRows.length - 1;
// Index rows in cell order; a row's position is its input index.
const vectors = new Int8Array(input.length);
order.forEach((src, row) => vectors.set(input.subarray(src * DIMS, (src + 1) * DIMS), row * DIMS));
const positions = Uint32Array.from(order);
const copies = await borderCopies(vectors, positions, DIMS, centroids, cellRows);
const copyCount = copies.positions.length;
const cellOfRow = new Int32Array(n);
for (let c = 0; c < cells; c++) for (let r = cellRows[c]; r < cellRows[c + 1]; r++) cellOfRow[r] = c;
const rowOfPosition = new Int32Array(n);
positions.forEach((p, row) => (rowOfPosition[p] = row));

describe('borderCopies', () => {
  it('copies a row at most once, into a cell other than its own that scores near its own', async () => {
    expect(copies.rows.length).toBe(cells + 1);
    expect(copies.rows[cells]).toBe(copyCount);
    expect(copyCount).toBeGreaterThan(0.05 * n);
    expect(copyCount).toBeLessThan(0.5 * n);
    expect(new Set(copies.positions).size).toBe(copyCount);
    for (let c = 0; c < cells; c++)
      for (let j = copies.rows[c]; j < copies.rows[c + 1]; j++) {
        const row = rowOfPosition[copies.positions[j]];
        const own = cellOfRow[row];
        expect(own).not.toBe(c);
        expect(copies.vectors.subarray(j * DIMS, (j + 1) * DIMS)).toEqual(
          vectors.subarray(row * DIMS, (row + 1) * DIMS),
        );
        const ownScore = dot(vectors, row * DIMS, centroids, own * DIMS);
        const here = dot(vectors, row * DIMS, centroids, c * DIMS);
        expect(here > ownScore || here >= COPY_SCORE_RATIO * ownScore).toBe(true);
      }
    expect(await borderCopies(vectors, positions, DIMS, centroids, cellRows)).toEqual(copies);
  });

  it('lets a query reading the same cells find more of its exact neighbours, each once', () => {
    const cellsWith = (withCopies: boolean): CellRows[] =>
      Array.from({ length: cells }, (_, c) => {
        const [a, b] = [cellRows[c], cellRows[c + 1]];
        const [ca, cb] = withCopies ? [copies.rows[c], copies.rows[c + 1]] : [0, 0];
        const v = new Int8Array((b - a + cb - ca) * DIMS);
        v.set(vectors.subarray(a * DIMS, b * DIMS));
        v.set(copies.vectors.subarray(ca * DIMS, cb * DIMS), (b - a) * DIMS);
        const p = new Uint32Array(b - a + cb - ca);
        p.set(positions.subarray(a, b));
        p.set(copies.positions.subarray(ca, cb), b - a);
        return { cell: c, firstRow: a, count: p.length, copies: cb - ca, vectors: v, positions: p };
      });
    // probeCells with the rows of the 3 nearest cells (~192), whether or not they hold copies.
    const head = { cells, dims: DIMS, centroids, cellRows, storedRows: cellRows } as CellIndexHead;
    const all = cellsWith(false);
    const queries = Array.from({ length: 100 }, (_, i) => Math.floor(((i + 0.5) * n) / 100));
    const recall = (rows: CellRows[]) => {
      let found = 0;
      for (const p of queries) {
        const q = input.subarray(p * DIMS, (p + 1) * DIMS);
        const exact = new Set(searchCells(q, all, K, p).map((h) => h.position));
        const read = probeCells(head, q, { minRows: 3 * 64, maxCells: Infinity }).map((c) => rows[c]);
        const hits = searchCells(q, read, K, p);
        expect(new Set(hits.map((h) => h.position)).size).toBe(hits.length);
        found += hits.filter((h) => exact.has(h.position)).length;
      }
      return found / (queries.length * K);
    };
    const without = recall(all);
    const copied = recall(cellsWith(true));
    expect(copied).toBeGreaterThan(without + 0.03);
  });
});
