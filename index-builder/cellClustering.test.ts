import { describe, expect, it } from 'vitest';
import { clusteredInt8Rows } from '../testing/syntheticEmbeddings';
import { clusterCells } from './cellClustering';

const DIMS = 96;

describe('clusterCells', () => {
  const rows = clusteredInt8Rows(12_000, DIMS);
  const n = rows.length / DIMS;
  const clustering = clusterCells(rows, DIMS, { rowsPerCell: 8 });
  const cells = clustering.cellRows.length - 1;

  it('places every row once, in non-empty cells, the same way every time', () => {
    expect(cells).toBeGreaterThan(8 * 8); // more coarse groups than a row's shortlist holds
    expect(Array.from(clustering.order).sort((a, b) => a - b)).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    for (let c = 0; c < cells; c++)
      expect(clustering.cellRows[c + 1]).toBeGreaterThan(clustering.cellRows[c]);
    expect(clustering.cellRows[cells]).toBe(n);
    const again = clusterCells(rows, DIMS, { rowsPerCell: 8 });
    expect(again.order).toEqual(clustering.order);
    expect(again.centroids).toEqual(clustering.centroids);
  });

  it('puts rows in the cell whose centroid a query ranks first', () => {
    // probeCells ranks cells by the int8 dot product of the query with each stored centroid; a row's
    // neighbours are found first where the row itself ranks first.
    let nearestOwn = 0;
    for (let c = 0; c < cells; c++)
      for (let r = clustering.cellRows[c]; r < clustering.cellRows[c + 1]; r++) {
        const i = clustering.order[r];
        let best = -Infinity;
        let bestCell = -1;
        for (let j = 0; j < cells; j++) {
          let dot = 0;
          for (let d = 0; d < DIMS; d++) dot += rows[i * DIMS + d] * clustering.centroids[j * DIMS + d];
          if (dot > best) {
            best = dot;
            bestCell = j;
          }
        }
        if (bestCell === c) nearestOwn++;
      }
    // Two-level k-means alone, which kept each row in its coarse group, placed 68 % so here (and half
    // of the bench's million rows).
    expect(nearestOwn / n).toBeGreaterThan(0.9);
  });
});
