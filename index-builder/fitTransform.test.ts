import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { syntheticEmbeddings } from '../testing/syntheticEmbeddings';
import { compactVector, type VectorTransform } from '../core/vectorTransform';
import {
  MIN_VIEWS,
  fitCollectionTransform,
  fitTransform,
  invarianceInnerDims,
  topEigen,
  whitenEpsilonFor,
  type AugmentedView,
} from './fitTransform';

function covariance(rows: Float32Array[]): Matrix {
  const n = rows.length;
  const dim = rows[0].length;
  const mean = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j] += r[j] / n;
  const x = new Matrix(rows.map((r) => Array.from(r, (v, j) => v - mean[j])));
  return x.transpose().mmul(x).div(n);
}

/** Projected (whitened, not normalised) coordinates of every row. */
function projected(rows: Float32Array[], t: VectorTransform): number[][] {
  return rows.map((r) =>
    Array.from({ length: t.dims }, (_, c) => {
      let s = 0;
      for (let j = 0; j < t.inputDim; j++) s += t.projection[c * t.inputDim + j] * (r[j] - t.mean[j]);
      return s;
    }),
  );
}

describe('whitenEpsilonFor', () => {
  it('damps a learned fit more below two rows per inner component, and fitTransform uses it by default', async () => {
    expect([12, 511, 512, 10_000].map((rows) => whitenEpsilonFor(rows, true))).toEqual([1, 1, 0.1, 0.1]);
    expect([12, 10_000].map((rows) => whitenEpsilonFor(rows, false))).toEqual([0.1, 0.1]);
    for (const count of [200, 600]) {
      const { embeddings } = syntheticEmbeddings({
        count,
        dim: 16,
        clusters: 10,
        spread: 1,
        seed: 2,
        decay: 1,
      });
      // Plain whitened PCA: no views.
      const byDefault = await fitTransform(embeddings, { dims: 8 });
      const explicit = await fitTransform(embeddings, { dims: 8, whitenEpsilon: 0.1 });
      expect(byDefault.projection).toEqual(explicit.projection);
      // Learned: views of every row (a small shift each).
      const views = embeddings.map((e, row) => ({
        row,
        embedding: e.map((v, j) => v + ((row * 7 + j) % 5) * 0.01),
      }));
      const learned = await fitTransform(embeddings, { dims: 8, views });
      const learnedExplicit = await fitTransform(embeddings, {
        dims: 8,
        views,
        whitenEpsilon: whitenEpsilonFor(count, true),
      });
      const learnedOther = await fitTransform(embeddings, {
        dims: 8,
        views,
        whitenEpsilon: count < 512 ? 0.1 : 1,
      });
      expect(learned.projection).toEqual(learnedExplicit.projection);
      expect(learned.projection).not.toEqual(learnedOther.projection);
    }
  });
});

describe('fitTransform', () => {
  const { embeddings } = syntheticEmbeddings({
    count: 400,
    dim: 24,
    clusters: 20,
    spread: 1,
    seed: 4,
    decay: 1,
  });

  it('fully whitens with ε = 0: the projected collection has identity covariance', async () => {
    const t = await fitTransform(embeddings, { dims: 10, whitenEpsilon: 0 });
    expect(t.dims).toBe(10);
    const p = projected(embeddings, t);
    for (let a = 0; a < 10; a++) {
      for (let b = 0; b < 10; b++) {
        const c = p.reduce((s, row) => s + row[a] * row[b], 0) / p.length;
        expect(c).toBeCloseTo(a === b ? 1 : 0, 4);
      }
    }
  });

  it('regularised whitening shrinks weak components: variances λ/(λ+ε·mean λ), decreasing', async () => {
    const t = await fitTransform(embeddings, { dims: 10, whitenEpsilon: 0.5 });
    const p = projected(embeddings, t);
    const variances = Array.from(
      { length: 10 },
      (_, c) => p.reduce((s, row) => s + row[c] ** 2, 0) / p.length,
    );
    for (let c = 1; c < 10; c++) expect(variances[c]).toBeLessThan(variances[c - 1]);
    for (const v of variances) expect(v).toBeLessThan(1);
  });

  it('projects onto the top eigenvectors of the covariance, by either route (n > dim and n ≤ dim)', async () => {
    for (const rows of [embeddings, embeddings.slice(0, 15)]) {
      const cov = covariance(rows);
      const t = await fitTransform(rows, { dims: 8, whitenEpsilon: 0 });
      const { values } = await topEigen(cov, 8, 1, 'full');
      for (let c = 0; c < t.dims; c++) {
        const row = Matrix.rowVector(Array.from(t.projection.subarray(c * t.inputDim, (c + 1) * t.inputDim)));
        const lambda = 1 / row.norm() ** 2;
        expect(lambda / values[c]).toBeCloseTo(1, 3);
        const u = row.div(row.norm()).transpose();
        expect(cov.mmul(u).sub(u.mul(lambda)).norm()).toBeLessThan(1e-5 * values[0]);
      }
    }
  });

  it('caps dims at samples − 1 and handles collections of 1, 2 and 12', async () => {
    const one = await fitTransform(embeddings.slice(0, 1), { dims: 96 });
    expect(one.dims).toBe(1);
    expect(Array.from(compactVector(one, embeddings[0]))).toEqual([0]);
    const two = await fitTransform(embeddings.slice(0, 2), { dims: 96 });
    expect(two.dims).toBe(1);
    const [a, b] = embeddings.slice(0, 2).map((e) => compactVector(two, e)[0]);
    expect(Math.abs(a)).toBeGreaterThan(100);
    expect(b).toBe(-a);
    const twelve = await fitTransform(embeddings.slice(0, 12), { dims: 96 });
    expect(twelve.dims).toBe(11);
    for (const e of embeddings.slice(0, 12)) expect(compactVector(twelve, e).some((x) => x !== 0)).toBe(true);
  });

  it('drops components without variance (duplicate images)', async () => {
    const t = await fitTransform([embeddings[0], embeddings[1], embeddings[0], embeddings[1]], { dims: 96 });
    expect(t.dims).toBe(1);
  });

  it('uses most of the int8 range without clipping the bulk', async () => {
    const t = await fitTransform(embeddings, { dims: 16 });
    let max = 0;
    let clipped = 0;
    for (const e of embeddings) {
      for (const x of compactVector(t, e)) {
        max = Math.max(max, Math.abs(x));
        if (Math.abs(x) === 127) clipped++;
      }
    }
    expect(max).toBe(127);
    expect(clipped / (embeddings.length * 16)).toBeLessThan(0.001);
  });

  it('is deterministic, including when it samples rows', async () => {
    const a = await fitTransform(embeddings, { dims: 8, maxFitRows: 100 });
    expect(await fitTransform(embeddings, { dims: 8, maxFitRows: 100 })).toEqual(a);
  });

  it('rejects bad input with clear errors', async () => {
    await expect(fitTransform([], { dims: 4 })).rejects.toThrow(/at least one embedding/);
    await expect(fitTransform([new Float32Array(3), new Float32Array(4)], { dims: 4 })).rejects.toThrow(
      /embedding 1 has 4/,
    );
    await expect(fitTransform([new Float32Array([1, NaN])], { dims: 4 })).rejects.toThrow(/not finite/);
    await expect(fitTransform(embeddings, { dims: 0 })).rejects.toThrow(/dims/);
  });
});

/** Share of queries whose own image (same index) scores highest among `images` under `t`. */
function hitAt1(images: Float32Array[], queries: Float32Array[], t: VectorTransform): number {
  const gallery = images.map((e) => compactVector(t, e));
  let hits = 0;
  queries.forEach((q, i) => {
    const v = compactVector(t, q);
    const scores = gallery.map((g) => g.reduce((s, x, j) => s + x * v[j], 0));
    if (scores.indexOf(Math.max(...scores)) === i) hits++;
  });
  return hits / queries.length;
}

describe('fitTransform with views (learned whitening)', () => {
  // Images are spread over every dimension; an "edit" moves an image a lot along two nuisance axes
  // (think brightness and blur), which also carry much of the collection's own variance.
  const dim = 16;
  const { embeddings: images } = syntheticEmbeddings({ count: 120, dim, clusters: 120, spread: 0, seed: 9 });
  const next = (() => {
    let x = 12345;
    return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  })();
  const edited = (e: Float32Array) =>
    Float32Array.from(e, (v, j) => v + (j === 0 || j === 1 ? 0.6 * next() : 0.01 * next()));
  const views: AugmentedView[] = images.flatMap((e, row) =>
    [0, 1, 2].map(() => ({ row, embedding: edited(e) })),
  );
  const queries = images.map(edited);

  it('finds edited copies that the whitened PCA loses', async () => {
    const plain = hitAt1(images, queries, await fitTransform(images, { dims: 8 }));
    const learned = hitAt1(images, queries, await fitTransform(images, { dims: 8, views }));
    expect(learned).toBeGreaterThan(plain + 0.2);
    expect(learned).toBeGreaterThan(0.9);
  });

  it('is the whitened PCA when there are too few views, and deterministic otherwise', async () => {
    expect(await fitTransform(images, { dims: 8, views: views.slice(0, MIN_VIEWS - 1) })).toEqual(
      await fitTransform(images, { dims: 8 }),
    );
    expect(await fitTransform(images, { dims: 8, views })).toEqual(
      await fitTransform(images, { dims: 8, views }),
    );
  });

  it('degrades gracefully on tiny collections: 2 and 3 images with many views', async () => {
    for (const n of [2, 3]) {
      const few = images.slice(0, n);
      const t = await fitTransform(few, {
        dims: 96,
        views: views.filter((v) => v.row < n).concat(views.slice(0, 20).map((v) => ({ ...v, row: 0 }))),
      });
      expect(t.dims).toBe(n - 1);
      for (const e of few) expect(compactVector(t, e).some((x) => x !== 0)).toBe(true);
    }
  });

  it('works in more leading components as the sample grows: 256 up to 4,096 rows, then one per 16, at most 384', () => {
    expect([12, 700, 4096, 4104, 5000, 6144, 7569, 10_000, 100_000].map(invarianceInnerDims)).toEqual([
      256, 256, 256, 257, 313, 384, 384, 384, 384,
    ]);
  });

  it('rejects views of rows that do not exist or of the wrong size', async () => {
    await expect(
      fitTransform(images, { dims: 8, views: [{ row: 120, embedding: images[0] }] }),
    ).rejects.toThrow(/view 0 names row 120/);
    await expect(
      fitTransform(images, { dims: 8, views: [{ row: 0, embedding: new Float32Array(dim + 1) }] }),
    ).rejects.toThrow(/has 17 values/);
  });
});

/**
 * 60 subjects, each drawn by two "vendors" in the collection and by a third in the queries: a drawing
 * moves its subject a lot along `styleAxes` axes, which also carry much of the collection's variance.
 * Nothing but the labels says which drawings are one subject. `seed` picks the subjects.
 */
function drawnSubjects(seed: number, dim = 16, subjects = 60, styleAxes = 2) {
  const { embeddings: centres } = syntheticEmbeddings({
    count: subjects,
    dim,
    clusters: subjects,
    spread: 0,
    seed,
  });
  const next = (() => {
    let x = 777;
    return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  })();
  const drawn = (e: Float32Array) =>
    Float32Array.from(e, (v, j) => v + (j < styleAxes ? 0.8 * next() : 0.01 * next()));
  const gallery = centres.flatMap((c) => [drawn(c), drawn(c)]);
  const labels = gallery.map((_, i) => `subject-${Math.floor(i / 2)}`);
  const queries = centres.map(drawn);
  const hitAt1BySubject = (t: VectorTransform) => {
    const rows = gallery.map((e) => compactVector(t, e));
    let hits = 0;
    queries.forEach((q, s) => {
      const v = compactVector(t, q);
      const scores = rows.map((g) => g.reduce((a, x, j) => a + x * v[j], 0));
      if (Math.floor(scores.indexOf(Math.max(...scores)) / 2) === s) hits++;
    });
    return hits / queries.length;
  };
  return { subjects, gallery, labels, hitAt1BySubject };
}

describe('fitTransform with labels', () => {
  const { subjects, gallery, labels, hitAt1BySubject } = drawnSubjects(4);

  it('learns from the labels what must not matter, and finds a new drawing of a subject', async () => {
    const plain = hitAt1BySubject(await fitTransform(gallery, { dims: 8 }));
    const learned = hitAt1BySubject(await fitTransform(gallery, { dims: 8, labels }));
    expect(learned).toBeGreaterThan(plain + 0.2);
    expect(learned).toBeGreaterThan(0.9);
  });

  it('learns from every labelled row, not only from the rows its covariance is sampled from', async () => {
    // A sample of 16 of the 120 rows keeps both drawings of about one subject in 60.
    const plain = hitAt1BySubject(await fitTransform(gallery, { dims: 8, maxFitRows: 16 }));
    const learned = hitAt1BySubject(await fitTransform(gallery, { dims: 8, maxFitRows: 16, labels }));
    expect(learned).toBeGreaterThan(plain + 0.2);
    expect(learned).toBeGreaterThan(0.9);
  });

  it('learns from the sources, without labels, that a subject drawn by another source is the same', async () => {
    // Each subject's two drawings come from two sources (vendors); which is which is all the fit is told.
    const sources = gallery.map((_, i) => (i % 2 === 0 ? 'vendor-a' : 'vendor-b'));
    const plain = hitAt1BySubject(await fitTransform(gallery, { dims: 8 }));
    const fitted = await fitCollectionTransform(gallery, { dims: 8, sources });
    // 0.62 → 0.77 from 38 pairs when written.
    expect(hitAt1BySubject(fitted.transform)).toBeGreaterThan(plain + 0.1);
    expect(fitted.sourcePairs).toBeGreaterThan(subjects / 2);
  });

  it('is the fit without sources when there is one source or every sourced row has a shared label, and rejects a source list of another length', async () => {
    const plain = await fitTransform(gallery, { dims: 8 });
    const one = await fitCollectionTransform(gallery, { dims: 8, sources: gallery.map(() => 'vendor-a') });
    expect(one).toEqual({ transform: plain, sourcePairs: 0 });
    const sources = gallery.map((_, i) => (i % 2 === 0 ? 'vendor-a' : 'vendor-b'));
    const labelledOnly = await fitCollectionTransform(gallery, { dims: 8, labels, sources });
    expect(labelledOnly).toEqual({
      transform: await fitTransform(gallery, { dims: 8, labels }),
      sourcePairs: 0,
    });
    await expect(fitTransform(gallery, { dims: 8, sources: sources.slice(1) })).rejects.toThrow(
      /119 sources for 120 embeddings/,
    );
  });

  it('is the fit without labels when no two rows share one or one label has them all, and rejects a label list of another length', async () => {
    const unlabelled = await fitTransform(gallery, { dims: 8 });
    const unmatched = gallery.map((_, i) => (i % 3 === 0 ? `only-${i}` : undefined));
    expect(await fitTransform(gallery, { dims: 8, labels: unmatched })).toEqual(unlabelled);
    const oneLabel = gallery.map((_, i) => (i % 2 === 0 ? 'png' : undefined));
    expect(await fitTransform(gallery, { dims: 8, labels: oneLabel })).toEqual(unlabelled);
    await expect(fitTransform(gallery, { dims: 8, labels: labels.slice(1) })).rejects.toThrow(
      /119 labels for 120 embeddings/,
    );
  });
});

describe('fitTransform with style pairs', () => {
  // The same world, and 60 other subjects each drawn by two other vendors: how their drawings differ is
  // all the fit is told about style, next to edited copies that move no style axis.
  // Wide enough for a 128-dim fit, the least that learns from style pairs.
  const { gallery, hitAt1BySubject } = drawnSubjects(4, 160, 100, 16);
  const reference = drawnSubjects(9, 160, 100, 16).gallery;
  const dim = gallery[0].length;
  const rows = new Float32Array((reference.length / 2) * dim);
  for (let p = 0; p < reference.length / 2; p++)
    for (let j = 0; j < dim; j++)
      rows[p * dim + j] = (reference[2 * p][j] - reference[2 * p + 1][j]) / Math.SQRT2;
  const stylePairs = { dim, rows };
  const views: AugmentedView[] = gallery
    .slice(0, 2 * MIN_VIEWS)
    .map((e, row) => ({ row, embedding: Float32Array.from(e, (v, j) => v + 0.02 * Math.sin(row * 7 + j)) }));

  it("learns from other subjects' drawings what a style changes, and finds a new drawing of a subject", async () => {
    const plain = hitAt1BySubject(await fitTransform(gallery, { dims: 128, views }));
    const styled = hitAt1BySubject(await fitTransform(gallery, { dims: 128, views, stylePairs }));
    expect(styled).toBeGreaterThan(plain + 0.2);
  });

  it('leaves a fit that learns nothing (too few views, no labels) or has under 128 dims as it was, and rejects pairs of another size', async () => {
    const few = views.slice(0, MIN_VIEWS - 1);
    expect(await fitTransform(gallery, { dims: 128, views: few, stylePairs })).toEqual(
      await fitTransform(gallery, { dims: 128, views: few }),
    );
    expect(await fitTransform(gallery, { dims: 96, views, stylePairs })).toEqual(
      await fitTransform(gallery, { dims: 96, views }),
    );
    await expect(
      fitTransform(gallery, {
        dims: 8,
        views,
        stylePairs: { dim: dim - 1, rows: rows.subarray(0, dim - 1) },
      }),
    ).rejects.toThrow(/style pairs of 159 dims for 160-dim embeddings/);
  });
});

describe('fitTransform with a colour block', () => {
  // 150 pairs of images that differ only in their colour block (inputs 128–159), like one emoji in two
  // skin tones; the edited views move the colour block a lot (like brightness edits), so the learned
  // whitening learns to ignore it, and with it what tells a pair apart (about a coin toss without the
  // colour dims).
  const dim = 160;
  const block = { offset: 128, dim: 32 };
  const next = (() => {
    let x = 777;
    return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  })();
  const content = Array.from({ length: 150 }, () => Array.from({ length: 128 }, () => next()));
  const images = content.flatMap((c) =>
    [0, 1].map(() => Float32Array.from({ length: dim }, (_, j) => (j < 128 ? c[j] : next()))),
  );
  const edited = (e: Float32Array, colourNoise: number) =>
    Float32Array.from(e, (v, j) => v + (j >= 128 ? colourNoise : 0.02) * next());
  const views: AugmentedView[] = images.flatMap((e, row) =>
    [0, 1, 2].map(() => ({ row, embedding: edited(e, 12) })),
  );
  const queries = images.map((e) => edited(e, 0.3));

  it('keeps what only colour tells apart, which the learned whitening alone discards', async () => {
    const without = hitAt1(images, queries, await fitTransform(images, { dims: 128, views }));
    const withColour = hitAt1(
      images,
      queries,
      await fitTransform(images, { dims: 128, views, colourBlock: block }),
    );
    expect(without).toBeLessThan(0.65);
    expect(withColour).toBeGreaterThan(0.95);
  });

  it('gives the block the last 16 dims, which read only the block, at 8 % of the others’ mean square', async () => {
    const t = await fitTransform(images, { dims: 128, views, colourBlock: block });
    expect(t.dims).toBe(128);
    for (let c = 0; c < 128; c++) {
      const row = t.projection.subarray(c * dim, (c + 1) * dim);
      const outside = [...row.subarray(0, 128), ...row.subarray(160)].some((v) => v !== 0);
      expect(outside).toBe(c < 112);
    }
    const coords = projected(images, t);
    const square = (from: number, to: number) =>
      coords.reduce((s, r) => s + r.slice(from, to).reduce((a, v) => a + v * v, 0), 0);
    expect(square(112, 128) / square(0, 112)).toBeCloseTo(0.08, 3);
  });

  it('leaves transforms of fewer than 128 dims (the sharded layout’s 96), and unlearned ones, as they were, and rejects a block outside the inputs', async () => {
    expect(await fitTransform(images, { dims: 96, views, colourBlock: block })).toEqual(
      await fitTransform(images, { dims: 96, views }),
    );
    // Nor does the plain whitened PCA (no views), which does not learn to ignore colour.
    expect(await fitTransform(images, { dims: 128, colourBlock: block })).toEqual(
      await fitTransform(images, { dims: 128 }),
    );
    await expect(fitTransform(images, { dims: 128, colourBlock: { offset: 140, dim: 32 } })).rejects.toThrow(
      /colour block \[140, \+32\) is not inside the 160 inputs/,
    );
  });
});

describe('topEigen', () => {
  it('subspace iteration agrees with the full decomposition on a decaying spectrum', async () => {
    const { embeddings } = syntheticEmbeddings({
      count: 300,
      dim: 120,
      clusters: 30,
      spread: 1,
      seed: 8,
      decay: 1.5,
    });
    const cov = covariance(embeddings);
    const full = await topEigen(cov, 10, 1, 'full');
    const sub = await topEigen(cov, 10, 1, 'subspace');
    for (let c = 0; c < 10; c++) {
      expect(sub.values[c] / full.values[c]).toBeCloseTo(1, 4);
      const dot = sub.vectors.getColumnVector(c).transpose().mmul(full.vectors.getColumnVector(c)).get(0, 0);
      expect(Math.abs(dot)).toBeCloseTo(1, 3);
    }
  });
});
