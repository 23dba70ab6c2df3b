import { dense, product, type Dense } from './denseKernels';

/*
 * What a collection's sources teach the learned whitening (fitTransform.ts) when it has no labels.
 * Sources (imageLabels.ts buildSources: `--source-pattern`) are where images come from — emoji vendors, shops,
 * scanners — when each source shows many of the same things in its own style. An image's nearest
 * neighbour is then mostly art of its own source (the style is what the features see first), but its
 * nearest image in another source is often the same thing: on the demo's three vendors, 81 % of the
 * pairs that are each other's nearest in another source are the same emoji (2,080 pairs), against 20 %
 * of plain mutual nearest neighbours, most of them same-vendor art (docs/model.md). Those pairs teach
 * the fit like labels. Sources that do not share their subjects (a random split) pair unrelated images
 * and cost accuracy, which is why a build uses them only when told.
 */

/** Rows compared with every candidate at a time (a block × candidates matrix of float64). */
const BLOCK_ROWS = 512;

/**
 * The pairs [a, b] (a < b, indices into `projected`'s rows) from different sources whose each row is
 * the other's most similar (cosine) row in another source. `sources[i]` is row i's source. Ties go to
 * the lower index, so the pairs are the same on every run.
 */
export async function crossSourcePairs(
  projected: Dense,
  sources: readonly string[],
): Promise<[number, number][]> {
  const { rows: n, cols: d } = projected;
  if (sources.length !== n) throw new RangeError(`crossSourcePairs: ${sources.length} sources for ${n} rows`);
  const unit = dense(new Float64Array(projected.data), n, d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) norm += unit.data[i * d + j] ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < d; j++) unit.data[i * d + j] *= inv;
  }
  const ids = new Map<string, number>();
  const source = Int32Array.from(sources, (s) => {
    if (!ids.has(s)) ids.set(s, ids.size);
    return ids.get(s)!;
  });
  const best = new Int32Array(n).fill(-1);
  for (let start = 0; start < n; start += BLOCK_ROWS) {
    const count = Math.min(BLOCK_ROWS, n - start);
    const block = dense(unit.data.subarray(start * d, (start + count) * d), count, d);
    const sims = await product(block, unit, { transB: true });
    for (let r = 0; r < count; r++) {
      const own = source[start + r];
      let top = -1;
      let topSim = -Infinity;
      for (let j = 0; j < n; j++) {
        const s = sims.data[r * n + j];
        if (source[j] !== own && s > topSim) {
          topSim = s;
          top = j;
        }
      }
      best[start + r] = top;
    }
  }
  const pairs: [number, number][] = [];
  for (let a = 0; a < n; a++) {
    const b = best[a];
    if (b > a && best[b] === a) pairs.push([a, b]);
  }
  return pairs;
}
