import { describe, expect, it } from 'vitest';
import { multiply, orthonormaliseRows, scatter } from './denseKernels';

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function randomArray(length: number, seed: number): Float64Array {
  const next = seeded(seed);
  return Float64Array.from({ length }, next);
}

describe('dense kernels', () => {
  it('multiply equals the textbook product for every row count modulo the blocking', () => {
    for (const [n, m, p] of [
      [1, 3, 2],
      [2, 5, 7],
      [3, 4, 1],
      [4, 6, 3],
      [9, 11, 5],
    ]) {
      const a = randomArray(n * m, n);
      const b = randomArray(m * p, p);
      const got = multiply(a, n, m, b, p);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < p; j++) {
          let want = 0;
          for (let k = 0; k < m; k++) want += a[i * m + k] * b[k * p + j];
          expect(got[i * p + j]).toBeCloseTo(want, 12);
        }
    }
    expect(() => multiply(new Float64Array(6), 2, 3, new Float64Array(5), 2)).toThrow(/shapes/);
  });

  it('scatter equals XᵀX for row counts that are not a multiple of the block', () => {
    const dim = 5;
    for (const n of [1, 7, 8, 19]) {
      const rows = Array.from({ length: n }, (_, i) => randomArray(dim, 100 + i));
      const got = scatter(rows, dim);
      for (let i = 0; i < dim; i++)
        for (let j = 0; j < dim; j++) {
          let want = 0;
          for (const r of rows) want += r[i] * r[j];
          expect(got[i * dim + j]).toBeCloseTo(want, 12);
        }
    }
  });

  it('orthonormalises rows, keeping the span of the leading ones and filling in dependent rows', () => {
    const width = 6;
    const rows = randomArray(4 * width, 3);
    // Row 2 = row 0 + row 1: nothing is left of it once the first two are removed.
    for (let j = 0; j < width; j++) rows[2 * width + j] = rows[j] + rows[width + j];
    const first = rows.slice(0, width);
    orthonormaliseRows(rows, 4, width, 9);
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) {
        let d = 0;
        for (let j = 0; j < width; j++) d += rows[a * width + j] * rows[b * width + j];
        expect(d).toBeCloseTo(a === b ? 1 : 0, 10);
      }
    // The first row keeps its direction (Gram–Schmidt only normalises it).
    let cos = 0;
    let norm = 0;
    for (let j = 0; j < width; j++) {
      cos += first[j] * rows[j];
      norm += first[j] * first[j];
    }
    expect(cos / Math.sqrt(norm)).toBeCloseTo(1, 12);
  });
});
