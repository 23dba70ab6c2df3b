import { describe, expect, it } from 'vitest';
import { PARTNERS_PER_IMAGE, similarityLabel } from '../core/calibration';
import { compactVector, projectEmbedding } from '../core/vectorTransform';
import { fitTransform } from './fitTransform';
import {
  int8Cosine,
  measureCalibration,
  MIN_CALIBRATED_IMAGES,
  randomPairsFor,
  forEachSampledPair,
} from './similarityCalibration';

/** Deterministic pseudo-random unit-ish embeddings. */
function embeddings(n: number, dim: number, seed: number): Float32Array[] {
  let s = seed;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, rand));
}

describe('measureCalibration', () => {
  it('samples distinct unordered pairs, all of them when there are few', async () => {
    const sampled = (count: number, max: number, seed?: number) => {
      const pairs: [number, number][] = [];
      const visited = forEachSampledPair(count, max, (a, b) => pairs.push([a, b]), seed);
      expect(visited).toBe(pairs.length);
      return pairs;
    };
    expect(sampled(4, 100)).toHaveLength(6);
    for (const [count, max] of [
      [1000, 500],
      // Nearly every pair: the table of drawn pairs must turn away repeats until the last one.
      [200, 19_800],
    ]) {
      const many = sampled(count, max);
      expect(many).toHaveLength(max);
      expect(new Set(many.map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`)).size).toBe(max);
      expect(many.every(([a, b]) => a !== b && a < count && b < count)).toBe(true);
    }
    // Seeded: a build's calibration does not change from one run to the next.
    expect(sampled(5000, 300)).toEqual(sampled(5000, 300));
    expect(sampled(5000, 300, 7)).not.toEqual(sampled(5000, 300));
  });

  it('samples enough random pairs for the near-identical bound of a larger collection', () => {
    // About 200 sampled pairs above the score that PARTNERS_PER_IMAGE partners per image reach.
    for (const images of [11_355, 40_000])
      expect(randomPairsFor(images) * (PARTNERS_PER_IMAGE / (images - 1))).toBeCloseTo(200, 0);
    expect(randomPairsFor(MIN_CALIBRATED_IMAGES)).toBeGreaterThanOrEqual(20_000);
    expect(randomPairsFor(1_000_000)).toBe(2_000_000);
  });

  it('scores int8 vectors as the search does', async () => {
    expect(int8Cosine(Int8Array.of(3, 4), Int8Array.of(3, 4))).toBeCloseTo(1, 10);
    expect(int8Cosine(Int8Array.of(1, 0), Int8Array.of(0, 1))).toBe(0);
  });

  it('labels lightly edited copies near-identical and unrelated images unrelated', async () => {
    const base = embeddings(MIN_CALIBRATED_IMAGES, 64, 7);
    const noise = embeddings(MIN_CALIBRATED_IMAGES, 64, 99);
    const views = base.slice(0, 60).map((e, row) => ({
      row,
      embedding: e.map((x, d) => x + 0.15 * noise[row][d]),
    }));
    const transform = await fitTransform(base, { dims: 32, seed: 1, views });
    const stored = base.map((e) => compactVector(transform, e));
    const c = measureCalibration({ transform, count: base.length, vectorOf: (i) => stored[i], views });
    expect(c).not.toBeNull();
    // The copies' projections given (kept from the previous build) change nothing.
    const viewProjection = (i: number) => projectEmbedding(transform, views[i].embedding);
    expect(
      measureCalibration({
        transform,
        count: base.length,
        vectorOf: (i) => stored[i],
        views,
        viewProjection,
      }),
    ).toEqual(c);
    expect(c!.measured.editedCopies).toBe(60);
    expect(c!.measured.editedCopy.p50).toBeGreaterThan(c!.measured.randomPair.p999);
    // A fresh edit of an image is recognised; another image is not.
    const edited = compactVector(
      transform,
      base[100].map((x, d) => x + 0.1 * noise[200][d]),
    );
    expect(similarityLabel(int8Cosine(edited, stored[100]), c!)).toMatch(/near-identical|very-similar/);
    expect(similarityLabel(int8Cosine(stored[5], stored[6]), c!)).toBe('unrelated');
  });

  it('is null without enough edited copies or images', async () => {
    const base = embeddings(MIN_CALIBRATED_IMAGES, 16, 3);
    const transform = await fitTransform(base, { dims: 8, seed: 1 });
    const stored = base.map((e) => compactVector(transform, e));
    const vectorOf = (i: number) => stored[i];
    const views = base.slice(0, 40).map((embedding, row) => ({ row, embedding }));
    expect(measureCalibration({ transform, count: base.length, vectorOf, views: [] })).toBeNull();
    expect(measureCalibration({ transform, count: base.length, vectorOf, views })).not.toBeNull();
    expect(measureCalibration({ transform, count: MIN_CALIBRATED_IMAGES - 1, vectorOf, views })).toBeNull();
  });
});
