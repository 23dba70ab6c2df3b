import { mulberry32 } from '../core/prng';
import { dense, product, projectRows, type Dense } from './denseKernels';

/*
 * What the labels teach the learned whitening (fitTransform.ts): the scatter of labelled rows about
 * their label's mean. Over every labelled row, not only the fit's row sample: a label's images are
 * few (an emoji's three vendors, a product's photos), so a sample of a third of a collection keeps
 * both images of only a ninth of its pairs, and the fit learned a small part of what a large
 * collection's labels say (docs/model.md: with a 3,000-row sample of the demo, every labelled row lifts
 * recall@10 on emoji art from outside it from 0.650 to 0.665 for OpenMoji and Fluent 3D, 0.785 to 0.794
 * for Facebook's).
 */

/**
 * At most this many labelled rows teach the fit, whole labels in a seeded order: rows outside the
 * sample are projected for it, about 1.7 MFLOP each at the default model's 2,280 dims.
 */
export const MAX_LABELLED_ROWS = 50_000;
/** Whole labels are projected and scattered this many rows at a time (at least one label). */
const BLOCK_ROWS = 2_048;

/**
 * The rows (indices into `labels`) of each label that two or more rows share; at most
 * MAX_LABELLED_ROWS rows in all, whole labels taken in an order seeded by `seed`.
 */
export function labelGroups(labels: readonly (string | undefined)[], seed: number): number[][] {
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, i) => {
    if (label === undefined) return;
    const group = byLabel.get(label);
    if (group) group.push(i);
    else byLabel.set(label, [i]);
  });
  const groups = [...byLabel.values()].filter((g) => g.length >= 2);
  if (groups.reduce((a, g) => a + g.length, 0) <= MAX_LABELLED_ROWS) return groups;
  const next = mulberry32(seed);
  for (let i = groups.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [groups[i], groups[j]] = [groups[j], groups[i]];
  }
  const kept: number[][] = [];
  let rows = 0;
  for (const g of groups) {
    if (rows + g.length > MAX_LABELLED_ROWS) continue;
    kept.push(g);
    rows += g.length;
  }
  // In first-row order, so that the scatter's sum runs in the same order whatever the shuffle kept.
  return kept.sort((a, b) => a[0] - b[0]);
}

/**
 * Σ over labels of the projected rows' scatter about their label's mean, per degree of freedom
 * (Σ (size − 1)), as a row-major d × d array. Rows in the fit's sample take their projection from
 * `sampled` (row index → its row in `projected`, rows centred on `mean`); the others are centred the
 * same way and projected by `basis` (d × input dims).
 */
export async function labelScatter(
  groups: readonly number[][],
  embeddings: readonly Float32Array[],
  mean: Float64Array,
  basis: Dense,
  projected: Dense,
  sampled: ReadonlyMap<number, number>,
): Promise<Float64Array> {
  const d = basis.rows;
  const sum = new Float64Array(d * d);
  let freedom = 0;
  for (let start = 0; start < groups.length;) {
    let end = start;
    let rows = 0;
    while (end < groups.length && (end === start || rows + groups[end].length <= BLOCK_ROWS))
      rows += groups[end++].length;
    const block = groups.slice(start, end).flat();
    const outside = block.filter((r) => !sampled.has(r));
    const fresh = outside.length > 0 ? await projectRows(outside, embeddings, mean, basis) : undefined;
    const freshAt = new Map(outside.map((r, i) => [r, i]));
    const diffs = dense(new Float64Array(rows * d), rows, d);
    block.forEach((r, i) => {
      const at = sampled.get(r);
      const source = at !== undefined ? projected.data : fresh!.data;
      const from = (at ?? freshAt.get(r)!) * d;
      diffs.data.set(source.subarray(from, from + d), i * d);
    });
    let at = 0;
    for (const g of groups.slice(start, end)) {
      const labelMean = new Float64Array(d);
      for (let i = 0; i < g.length; i++)
        for (let j = 0; j < d; j++) labelMean[j] += diffs.data[(at + i) * d + j] / g.length;
      for (let i = 0; i < g.length; i++)
        for (let j = 0; j < d; j++) diffs.data[(at + i) * d + j] -= labelMean[j];
      at += g.length;
      freedom += g.length - 1;
    }
    const part = await product(diffs, diffs, { transA: true });
    for (let i = 0; i < sum.length; i++) sum[i] += part.data[i];
    start = end;
  }
  for (let i = 0; i < sum.length; i++) sum[i] /= freedom;
  return sum;
}
