import { describe, expect, it } from 'vitest';
import { decodeIndexData } from '../core/indexFormat';
import { compactVector } from '../core/vectorTransform';
import { assembleIndex } from './assembleIndex';
import { blendOptions } from './publishSettings';
import { neighbourBlend } from './neighbourBlend';

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float64Array.from(v, (x) => x / n);
};

function seededEmbeddings(count: number, dim: number, seed: number): Float32Array[] {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: count }, () => Float32Array.from({ length: dim }, next));
}

describe('neighbourBlend', () => {
  const rows = [unit(1, 0, 0), unit(0.8, 0.6, 0), unit(0, 0, 1), unit(0, 0.1, 1)];

  it('blends each row with its nearest other rows, weighted by cos^alpha, and re-normalises', async () => {
    const out = neighbourBlend(rows, { neighbours: 1, alpha: 2 });
    const expected = (i: number, j: number) => {
      let cos = 0;
      for (let d = 0; d < 3; d++) cos += rows[i][d] * rows[j][d];
      const w = cos ** 2;
      return unit(...Array.from(rows[i], (v, d) => v + w * rows[j][d]));
    };
    const pairs = [1, 0, 3, 2];
    out.forEach((row, i) => {
      const e = expected(i, pairs[i]);
      row.forEach((v, d) => expect(v).toBeCloseTo(e[d], 6));
      expect(Math.hypot(...row)).toBeCloseTo(1, 9);
    });
  });

  it('finds the neighbours among the unblended rows and leaves the input unchanged', async () => {
    const copy = rows.map((r) => Float64Array.from(r));
    const a = neighbourBlend(rows, { neighbours: 2 });
    expect(rows).toEqual(copy);
    // Row 0's two nearest are 1 (cos 0.8) and 3 (cos 0); 3 weighs nothing at cos 0.
    const w = 0.8 ** 3;
    const e = unit(1 + w * 0.8, w * 0.6, 0);
    a[0].forEach((v, d) => expect(v).toBeCloseTo(e[d], 6));
  });

  it('ignores dissimilar neighbours, keeps zero rows zero, and is the identity at 0 neighbours', async () => {
    const opposite = [unit(1, 0), unit(-1, 0.01), new Float64Array(2)];
    const out = neighbourBlend(opposite, { neighbours: 2 });
    out[0].forEach((v, d) => expect(v).toBeCloseTo(opposite[0][d], 12));
    expect(Array.from(out[2])).toEqual([0, 0]);
    expect(neighbourBlend(rows, { neighbours: 0 })).toEqual(rows);
    expect(neighbourBlend([unit(1, 0)], { neighbours: 3 })).toEqual([unit(1, 0)]);
  });

  it('rejects bad options', async () => {
    expect(() => neighbourBlend(rows, { neighbours: -1 })).toThrow(/neighbours/);
    expect(() => neighbourBlend(rows, { neighbours: 1.5 })).toThrow(/neighbours/);
    expect(() => neighbourBlend(rows, { neighbours: 1, alpha: -1 })).toThrow(/alpha/);
    expect(() => blendOptions({ blendAlpha: 2 })).toThrow(/blendNeighbours/);
    expect(blendOptions({})).toBeUndefined();
    expect(blendOptions({ blendNeighbours: 0 })).toBeUndefined();
    expect(blendOptions({ blendNeighbours: 2, blendAlpha: 1 })).toEqual({ neighbours: 2, alpha: 1 });
  });

  it('changes only the stored rows of an index, not its transform (queries stay unblended)', async () => {
    const embeddings = seededEmbeddings(300, 24, 5);
    // Near-duplicate pairs: row 2i+1 is row 2i plus a little noise.
    for (let i = 0; i + 1 < embeddings.length; i += 2)
      embeddings[i + 1] = embeddings[i].map((v, d) => v + 0.3 * Math.sin(i * 7 + d));
    const opts = { modelId: 'test', dims: 16, bits: 64 };
    const plain = decodeIndexData((await assembleIndex(embeddings, opts)).bytes);
    const blended = decodeIndexData(
      (await assembleIndex(embeddings, { ...opts, blend: { neighbours: 1 } })).bytes,
    );
    expect(blended.transform).toEqual(plain.transform);
    expect(blended.vectors).not.toEqual(plain.vectors);
    // Unblended rows are what compactVector gives; blending pulls each pair's rows together.
    const { order } = await assembleIndex(embeddings, opts);
    const row0 = order.indexOf(0);
    expect(Array.from(plain.vectors.subarray(row0 * 16, row0 * 16 + 16))).toEqual(
      Array.from(compactVector(plain.transform, embeddings[0])),
    );
    const rowOf = (idx: ReturnType<typeof decodeIndexData>, order: number[], i: number) => {
      const r = order.indexOf(i);
      return Array.from(idx.vectors.subarray(r * 16, (r + 1) * 16));
    };
    const blendedOrder = (await assembleIndex(embeddings, { ...opts, blend: { neighbours: 1 } })).order;
    const dot = (a: number[], b: number[]) => a.reduce((s, v, d) => s + v * b[d], 0);
    let plainSum = 0;
    let blendedSum = 0;
    for (let i = 0; i < 100; i += 2) {
      plainSum += dot(rowOf(plain, order, i), rowOf(plain, order, i + 1));
      blendedSum += dot(rowOf(blended, blendedOrder, i), rowOf(blended, blendedOrder, i + 1));
    }
    expect(blendedSum).toBeGreaterThan(plainSum * 1.05);
  });
});
