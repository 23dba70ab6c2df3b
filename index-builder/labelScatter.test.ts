import { describe, expect, it } from 'vitest';
import { dense, product } from './denseKernels';
import { labelGroups, labelScatter, MAX_LABELLED_ROWS } from './labelScatter';

describe('labelGroups', () => {
  it('groups the rows of each label two or more rows share, in first-row order', () => {
    const labels = ['a', 'b', undefined, 'a', 'c', 'b', 'a', 'd'];
    expect(labelGroups(labels, 1)).toEqual([
      [0, 3, 6],
      [1, 5],
    ]);
    expect(labelGroups([undefined, 'x'], 1)).toEqual([]);
  });

  it('keeps whole labels up to MAX_LABELLED_ROWS rows, the same ones for the same seed', () => {
    const labels = Array.from({ length: MAX_LABELLED_ROWS + 3_001 }, (_, i) => `l${Math.floor(i / 3)}`);
    const groups = labelGroups(labels, 5);
    const rows = groups.flat();
    expect(rows.length).toBeLessThanOrEqual(MAX_LABELLED_ROWS);
    expect(rows.length).toBeGreaterThan(MAX_LABELLED_ROWS - 3);
    for (const g of groups) expect(g).toEqual([g[0], g[0] + 1, g[0] + 2]);
    expect(groups.map((g) => g[0])).toEqual([...groups.map((g) => g[0])].sort((a, b) => a - b));
    expect(labelGroups(labels, 5)).toEqual(groups);
    expect(labelGroups(labels, 6)).not.toEqual(groups);
  });
});

describe('labelScatter', () => {
  it('is the scatter about each label mean per degree of freedom, whichever rows were projected before', async () => {
    const inputDim = 5;
    const d = 3;
    const next = (() => {
      let x = 91;
      return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    })();
    const embeddings = Array.from({ length: 12 }, () => Float32Array.from({ length: inputDim }, next));
    const mean = Float64Array.from({ length: inputDim }, next);
    const basis = dense(Float64Array.from({ length: d * inputDim }, next), d, inputDim);
    const groups = [
      [0, 4, 7],
      [1, 2],
      [5, 9, 10, 11],
    ];
    const centred = (r: number) => Float64Array.from(embeddings[r], (v, j) => v - mean[j]);
    const project = (r: number) => {
      const c = centred(r);
      return Array.from({ length: d }, (_, k) =>
        c.reduce((a, v, j) => a + v * basis.data[k * inputDim + j], 0),
      );
    };
    // By hand: every row projected, scatter about each group's mean, divided by Σ (size − 1) = 6.
    const expected = new Float64Array(d * d);
    for (const g of groups) {
      const p = g.map(project);
      const m = Array.from({ length: d }, (_, k) => p.reduce((a, row) => a + row[k], 0) / g.length);
      for (const row of p)
        for (let a = 0; a < d; a++)
          for (let b = 0; b < d; b++) expected[a * d + b] += ((row[a] - m[a]) * (row[b] - m[b])) / 6;
    }
    // Rows 0, 1, 5 and 9 are in the fit's sample (projected there); the others are projected here.
    const sampledRows = [0, 1, 5, 9];
    const raw = dense(new Float64Array(sampledRows.length * inputDim), sampledRows.length, inputDim);
    sampledRows.forEach((r, i) => raw.data.set(centred(r), i * inputDim));
    const projected = await product(raw, basis, { transB: true });
    const sampled = new Map(sampledRows.map((r, i) => [r, i]));
    const got = await labelScatter(groups, embeddings, mean, basis, projected, sampled);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 10));
    // None sampled: the same scatter.
    const none = await labelScatter(
      groups,
      embeddings,
      mean,
      basis,
      dense(new Float64Array(0), 0, d),
      new Map(),
    );
    none.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 10));
  });
});
