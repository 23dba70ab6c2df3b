import { describe, expect, it } from 'vitest';
import { decodeCellIndexHead, encodeCellIndex } from './cellIndexFormat';
import {
  PARALLEL_CELL_REQUESTS,
  PROBE_MIN_ROWS,
  PROBE_ROUND_SHARE,
  defaultProbe,
  probeCells,
} from './cellSearch';

const DIMS = 4;

/** `cells` cells of `rowsPerCell` rows; cell c's centroid scores `cells − c` against the query [1, 0, 0, 0]. */
function head(cells: number, rowsPerCell: number) {
  const count = cells * rowsPerCell;
  const centroids = new Int8Array(cells * DIMS);
  for (let c = 0; c < cells; c++) centroids.set([cells - c, 1, 0, 0], c * DIMS);
  return decodeCellIndexHead(
    encodeCellIndex({
      modelId: 'test-model',
      transform: {
        inputDim: DIMS,
        dims: DIMS,
        mean: new Float32Array(DIMS),
        projection: Float32Array.from({ length: DIMS * DIMS }, (_, i) => (i % (DIMS + 1) === 0 ? 1 : 0)),
        quantScale: 100,
      },
      centroids,
      cellRows: Uint32Array.from({ length: cells + 1 }, (_, c) => c * rowsPerCell),
      vectors: new Int8Array(count * DIMS).fill(1),
      positions: Uint32Array.from({ length: count }, (_, r) => r),
    }),
  );
}

describe('which cells a query reads', () => {
  it('reads a collection within the floor whole, the floor in one round of requests, and more cells past it', () => {
    expect(defaultProbe(500)).toEqual({ minRows: 500, maxCells: Infinity });
    expect(defaultProbe(PROBE_MIN_ROWS)).toEqual({ minRows: PROBE_MIN_ROWS, maxCells: Infinity });
    expect(defaultProbe(1_000_000)).toEqual({ minRows: PROBE_MIN_ROWS, maxCells: PARALLEL_CELL_REQUESTS });
    expect(defaultProbe(4_194_304)).toEqual({
      minRows: 4 * PROBE_MIN_ROWS,
      maxCells: 4 * PARALLEL_CELL_REQUESTS,
    });
  });

  it('takes the nearest cells until they hold the rows, or number the cap and hold most of them', () => {
    const q = Int8Array.of(1, 0, 0, 0);
    const big = head(20, 300);
    expect(probeCells(big, q, { minRows: 700, maxCells: 6 })).toEqual([0, 1, 2]);
    // 6 cells hold 1,800 rows, at least 3/4 of 2,048: the seventh would be a second round trip.
    expect(probeCells(big, q, { minRows: 2048, maxCells: 6 })).toEqual([0, 1, 2, 3, 4, 5]);
    expect(probeCells(big, q, { minRows: 2048, maxCells: Infinity })).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Small cells: 6 of them hold far fewer rows than asked for, so the query reads on to 3/4 of them.
    expect(probeCells(head(30, 100), q, { minRows: 2048, maxCells: 6 })).toHaveLength(16);
    expect(2048 * PROBE_ROUND_SHARE).toBeLessThan(1800);
  });
});
