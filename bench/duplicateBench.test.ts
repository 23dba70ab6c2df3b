import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { DUPLICATE_STRICTNESS } from '../core/duplicatesFormat';
import { writeFixtureImages } from '../testing/fixtureImages';
import { mulberry32 } from '../core/prng';
import {
  COPIES_PER_ORIGINAL,
  CROPS_PER_ORIGINAL,
  duplicateBench,
  randomRegion,
  sceneOf,
} from './duplicateBench';
import { copyEdits } from './duplicateCopies';
import { bestF1, pairQuality } from './pairMetrics';

/*
 * The duplicates area on its quick input (8 fixture emoji, 24 edited copies, the real builder and
 * model): the shape of the result and that every figure is in range, never how fast it ran.
 */

const work = mkdtempSync(path.join(tmpdir(), 'lookalike-duplicate-bench-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('pair precision and recall count pairs inside groups against shared labels', () => {
  const labels = ['a', 'a', 'a', 'b', 'b', 'c'];
  // True pairs: 3 (a) + 1 (b). Predicted: {0,1,3} → 3 pairs, 1 correct; {4,5} → 1 pair, 0 correct.
  const q = pairQuality(labels, [
    [0, 1, 3],
    [4, 5],
  ]);
  expect(q).toMatchObject({ truePairs: 4, predictedPairs: 4, correctPairs: 1, groups: 2, groupedImages: 5 });
  expect(q.precision).toBeCloseTo(0.25);
  expect(q.recall).toBeCloseTo(0.25);
  expect(pairQuality(labels, []).precision).toBeNull();
  expect(() =>
    pairQuality(labels, [
      [0, 1],
      [1, 2],
    ]),
  ).toThrow(/more than one group/);
});

test('the oracle sweep finds the threshold that separates two tight clusters', () => {
  const v = (x: number, y: number) => Float32Array.of(x, y);
  const labels = ['a', 'a', 'b', 'b'];
  const best = bestF1(labels, [v(1, 0.05), v(1, 0), v(0, 1), v(0.05, 1)], [0.5, 0.9, 0.999]);
  expect(best.f1).toBe(1);
  expect(best.threshold).toBe(0.9);
  expect(best.grouped).toEqual([
    [0, 1],
    [2, 3],
  ]);
});

test('light and dark variants of a wallpaper are one scene; different wallpapers are not', () => {
  expect(sceneOf('gnome/adwaita-d')).toBe(sceneOf('gnome/adwaita-l'));
  expect(sceneOf('plasma/Altai-dark')).toBe(sceneOf('plasma/Altai'));
  expect(sceneOf('plasma/Altai')).not.toBe(sceneOf('plasma/Autumn'));
});

test('copies get 1–3 edits in the stated ranges, regions 30–60 % of the image', () => {
  for (let seed = 0; seed < 200; seed++) {
    const edits = copyEdits(seed);
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(edits.length).toBeLessThanOrEqual(3);
    for (const e of edits) {
      if (e.kind === 'crop') expect(e.area).toBeGreaterThanOrEqual(0.5);
      if (e.kind === 'crop') expect(e.area).toBeLessThanOrEqual(0.9);
      if (e.kind === 'jpeg') expect(e.quality).toBeGreaterThanOrEqual(20);
      if (e.kind === 'jpeg') expect(e.quality).toBeLessThanOrEqual(60);
      if (e.kind === 'rotate') expect(Math.abs(e.degrees)).toBeLessThanOrEqual(10);
      if (e.kind === 'resize') expect(e.longSide).toBeGreaterThanOrEqual(200);
      if (e.kind === 'resize') expect(e.longSide).toBeLessThanOrEqual(800);
    }
    const r = randomRegion(mulberry32(seed), 0.3, 0.6);
    expect(r.w * r.h).toBeGreaterThanOrEqual(0.3 - 1e-9);
    expect(r.w * r.h).toBeLessThanOrEqual(0.6 + 1e-9);
    expect(r.x + r.w).toBeLessThanOrEqual(1);
    expect(r.y + r.h).toBeLessThanOrEqual(1);
  }
});

test(
  'the quick duplicates area measures every strictness, the sweep and region search',
  { timeout: 300_000 },
  async () => {
    const fixtures = path.join(work, 'fixtures');
    writeFixtureImages(fixtures);
    const r = await duplicateBench(true, work, fixtures, () => {});
    expect(r.data).toBe('tiny');
    expect(r.originals).toBe(8);
    expect(r.images).toBe(8 * (1 + COPIES_PER_ORIGINAL));
    expect(r.truePairs).toBe(8 * 6);
    // 32 images are far below the calibration's minimum: the documented defaults.
    expect(r.images).toBeLessThan(r.minCalibratedImages);
    expect(r.thresholdSource).toBe('default');
    expect(r.strictness.map((s) => s.strictness)).toEqual([...DUPLICATE_STRICTNESS]);
    for (const s of r.strictness) {
      expect(s.recall).toBeGreaterThanOrEqual(0);
      expect(s.recall).toBeLessThanOrEqual(1);
      if (s.precision !== null) expect(s.precision).toBeGreaterThanOrEqual(0);
      if (s.precision !== null) expect(s.precision).toBeLessThanOrEqual(1);
      expect(s.variantPairsGrouped).toBeLessThanOrEqual(s.predictedPairs - s.correctPairs);
      for (const share of Object.values(s.copyRecallByEdit)) {
        expect(share).toBeGreaterThanOrEqual(0);
        expect(share).toBeLessThanOrEqual(1);
      }
    }
    // Stricter levels nest inside looser ones: never more predicted pairs.
    const predicted = r.strictness.map((s) => s.predictedPairs);
    expect(predicted[0]).toBeLessThanOrEqual(predicted[1]);
    expect(predicted[1]).toBeLessThanOrEqual(predicted[2]);
    expect(r.sweep.rows.map((x) => x.kind)).toEqual(['pipeline', 'float', 'histogram']);
    for (const x of r.sweep.rows) {
      expect(x.best.threshold).toBeGreaterThanOrEqual(r.sweep.from);
      expect(x.best.threshold).toBeLessThanOrEqual(r.sweep.to);
      // Some threshold groups at least one original with a copy, for every method.
      expect(x.best.f1).toBeGreaterThan(0);
      expect(x.best.f1).toBeLessThanOrEqual(1);
    }
    expect(r.region.queries).toBe(8 * CROPS_PER_ORIGINAL);
    for (const x of r.region.rows) {
      expect(x.hitAt1).toBeGreaterThanOrEqual(0);
      expect(x.hitAt1).toBeLessThanOrEqual(1);
    }
    expect(Object.values(r.editCounts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(
      8 * COPIES_PER_ORIGINAL,
    );
  },
);
