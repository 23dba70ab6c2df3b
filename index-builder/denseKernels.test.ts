import { describe, expect, it } from 'vitest';
import { dense, int8Dots, orthonormalised, orthonormaliseRows, product, projectRows } from './denseKernels';

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
  it('product equals the textbook product, with either operand transposed', async () => {
    for (const [n, k, m] of [
      [1, 3, 2],
      [2, 5, 7],
      [9, 11, 5],
      [40, 33, 17],
    ]) {
      const a = randomArray(n * k, n);
      const b = randomArray(k * m, m);
      const want = (i: number, j: number) => {
        let s = 0;
        for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * m + j];
        return s;
      };
      // The same values stored transposed, to ask for op(a) = aᵀ and op(b) = bᵀ.
      const at = Float64Array.from({ length: n * k }, (_, x) => a[(x % n) * k + Math.floor(x / n)]);
      const bt = Float64Array.from({ length: k * m }, (_, x) => b[(x % k) * m + Math.floor(x / k)]);
      for (const [left, right, opts] of [
        [dense(a, n, k), dense(b, k, m), {}],
        [dense(at, k, n), dense(b, k, m), { transA: true }],
        [dense(a, n, k), dense(bt, m, k), { transB: true }],
        [dense(at, k, n), dense(bt, m, k), { transA: true, transB: true }],
      ] as const) {
        const got = await product(left, right, opts);
        expect([got.rows, got.cols]).toEqual([n, m]);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < m; j++) expect(got.data[i * m + j]).toBeCloseTo(want(i, j), 12);
      }
    }
  });

  it('product refuses shapes that do not match, and handles empty ones', async () => {
    await expect(product(dense(new Float64Array(6), 2, 3), dense(new Float64Array(4), 2, 2))).rejects.toThrow(
      /shapes do not match/,
    );
    expect(() => dense(new Float64Array(5), 2, 3)).toThrow(/5 values for a 2 × 3/);
    const empty = await product(dense(new Float64Array(0), 3, 0), dense(new Float64Array(0), 0, 2));
    expect(Array.from(empty.data)).toEqual([0, 0, 0, 0, 0, 0]);
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

  it('orthonormalised keeps nested spans (as Gram–Schmidt does), also for dependent rows', async () => {
    const width = 30;
    const count = 8;
    const gramSchmidt = (rows: Float64Array) => {
      const out = Float64Array.from(rows);
      orthonormaliseRows(out, count, width, 5);
      return out;
    };
    const independent = randomArray(count * width, 11);
    // Rows scaled apart by 10⁴, as a power step leaves them: still one answer.
    for (let r = 0; r < count; r++)
      for (let j = 0; j < width; j++) independent[r * width + j] *= 10 ** (-r / 2);
    const dependent = Float64Array.from(independent);
    for (let j = 0; j < width; j++) dependent[3 * width + j] = dependent[j] - 2 * dependent[width + j];
    for (const rows of [independent, dependent]) {
      const got = (await orthonormalised(dense(rows, count, width), 5)).data;
      for (let a = 0; a < count; a++)
        for (let b = 0; b < count; b++) {
          let d = 0;
          for (let j = 0; j < width; j++) d += got[a * width + j] * got[b * width + j];
          expect(d).toBeCloseTo(a === b ? 1 : 0, 10);
        }
      // Row i spans what rows 0…i span: the same rows as Gram–Schmidt's, up to rounding.
      const want = gramSchmidt(rows);
      for (let j = 0; j < count * width; j++) expect(got[j]).toBeCloseTo(want[j], 8);
    }
  });

  // The neighbour lists rely on these being the exact integers, in float32 up to 1023 dims.
  it.each([128, 1023, 1100])(
    'int8 dot products are exact integers (%i dims, extreme values)',
    async (width) => {
      let seed = width;
      const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
      // Mostly −128 and 127, so the sums come close to the float32 limit the width allows.
      const row = () =>
        Int8Array.from({ length: width }, () =>
          next() % 8 === 0 ? (next() % 256) - 128 : next() % 2 ? 127 : -128,
        );
      const a = Array.from({ length: 5 }, row);
      const b = [...Array.from({ length: 7 }, row), Int8Array.from({ length: width }, () => -128)];
      a.push(Int8Array.from({ length: width }, () => -128));
      const flat = (rows: Int8Array[]) => Float32Array.from(rows.flatMap((r) => Array.from(r)));
      const got = await int8Dots(flat(a), flat(b), width);
      a.forEach((x, i) =>
        b.forEach((y, j) => {
          let want = 0;
          for (let d = 0; d < width; d++) want += x[d] * y[d];
          expect(got[i * b.length + j]).toBe(want);
        }),
      );
      expect(got[(a.length - 1) * b.length + b.length - 1]).toBe(width * 128 * 128);
    },
  );
});

describe('projectRows', () => {
  it('projects the chosen rows minus the mean, whatever the block they fall in', async () => {
    const embeddings = Array.from({ length: 1500 }, (_, i) => Float32Array.from([i, 2 * i, 1]));
    const mean = Float64Array.from([1, 1, 1]);
    const basis = dense(Float64Array.from([1, 0, 0, 0, 1, 1]), 2, 3);
    const out = await projectRows([0, 1030, 1499], embeddings, mean, basis);
    expect(Array.from(out.data)).toEqual([-1, -1, 1029, 2059, 1498, 2997]);
  });
});
