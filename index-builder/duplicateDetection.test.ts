import { describe, expect, it } from 'vitest';
import { calibrationFrom } from '../core/calibration';
import { completeLinkMerges, cutMerges } from '../core/duplicateGroups';
import { mulberry32 } from '../core/prng';
import {
  DEFAULT_DUPLICATE_THRESHOLDS,
  MAX_CANDIDATES_PER_IMAGE,
  candidatePairs,
  componentMerges,
  duplicateThresholds,
  findDuplicateGroups,
} from './duplicateDetection';
import { int8Cosine } from './similarityCalibration';

/** Wide enough that random rows score near 0 (σ ≈ 0.1) and only planted copies pass the thresholds. */
const DIMS = 96;

/** `count` random int8 rows; rows listed in `copies` are noisy copies of another row ([copy, of, noise]). */
function vectorsWith(count: number, copies: [number, number, number][], seed = 1): Int8Array {
  const next = mulberry32(seed);
  const v = new Int8Array(count * DIMS);
  for (let i = 0; i < v.length; i++) v[i] = (next() % 201) - 100;
  for (const [copy, of, noise] of copies)
    for (let d = 0; d < DIMS; d++)
      v[copy * DIMS + d] = Math.max(
        -127,
        Math.min(127, v[of * DIMS + d] + (next() % (2 * noise + 1)) - noise),
      );
  return v;
}

const row = (v: Int8Array, r: number) => v.subarray(r * DIMS, (r + 1) * DIMS);

function exactPairs(v: Int8Array, threshold: number): Set<string> {
  const n = v.length / DIMS;
  const out = new Set<string>();
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) if (int8Cosine(row(v, a), row(v, b)) >= threshold) out.add(`${a}-${b}`);
  return out;
}

describe('candidatePairs', () => {
  it('finds the pairs an exact scan finds, each once, with the search score', () => {
    // 2000 rows make about 8 cells; 60 planted copies, some of them of the same original.
    const copies: [number, number, number][] = Array.from({ length: 60 }, (_, i) => [
      1500 + i,
      (i * 37) % 500,
      12,
    ]);
    const v = vectorsWith(2000, copies);
    const exact = exactPairs(v, 0.6);
    expect(exact.size).toBeGreaterThanOrEqual(60);
    const found = candidatePairs(v, DIMS, 0.6, undefined, 768);
    const keys = Array.from(found.a, (a, i) => `${a}-${found.b[i]}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys)).toEqual(exact);
    found.a.forEach((a, i) =>
      expect(found.score[i]).toBeCloseTo(int8Cosine(row(v, a), row(v, found.b[i])), 12),
    );
    // Each row is compared with its own cell and the nearest ones (≈ 768 rows: a random row sits almost
    // as near to three of the 8 centroids, so a copy may land in any of them), not all 1999 others.
    expect(found.comparisons).toBeLessThan(((2000 * 1999) / 2) * 0.75);
  });

  it('keeps each image to its closest MAX_CANDIDATES_PER_IMAGE when a family is larger', () => {
    const family = MAX_CANDIDATES_PER_IMAGE + 20;
    const copies: [number, number, number][] = Array.from({ length: family - 1 }, (_, i) => [i + 1, 0, 3]);
    const v = vectorsWith(family + 50, copies);
    const found = candidatePairs(v, DIMS, 0.5);
    const perImage = new Map<number, number>();
    for (const x of [...found.a, ...found.b]) perImage.set(x, (perImage.get(x) ?? 0) + 1);
    expect([...perImage.keys()].every((x) => x < family)).toBe(true);
    // A pair stays while it is among the best of either side, so no image ends up with fewer than the cap.
    expect(Math.min(...[...perImage.values()])).toBeGreaterThanOrEqual(MAX_CANDIDATES_PER_IMAGE);
    expect(found.a.length).toBeLessThan((family * (family - 1)) / 2);
  });
});

describe('componentMerges', () => {
  it('clusters each connected component alone and cuts to what clustering the whole graph gives', () => {
    const copies: [number, number, number][] = Array.from({ length: 40 }, (_, i) => [
      100 + i,
      i % 12,
      30 + (i % 5) * 10,
    ]);
    const v = vectorsWith(200, copies);
    const pairs = candidatePairs(v, DIMS, 0.7);
    const whole = completeLinkMerges(pairs, 0.7);
    const parts = componentMerges(pairs, 200, 0.7);
    expect(parts).toHaveLength(whole.length);
    for (const t of [0.95, 0.85, 0.7]) {
      const key = (gs: { nodes: number[] }[]) => gs.map((g) => g.nodes.join(',')).sort();
      expect(key(cutMerges(parts, t))).toEqual(key(cutMerges(whole, t)));
    }
  });
});

describe('findDuplicateGroups', () => {
  const items = (n: number, big: number[] = []) =>
    Array.from({ length: n }, (_, p) => ({
      id: `i${String(p).padStart(4, '0')}`,
      width: big.includes(p) ? 200 : 100,
      height: 100,
    }));

  it('picks the largest image as the representative, orders members and groups, and nests levels', () => {
    // 4 is a light copy of 3 (≈ 0.999) and 5 a heavier one (≈ 0.93); 7 copies 6 (≈ 0.9998); 9 copies 8 (≈ 0.86).
    const v = vectorsWith(300, [
      [4, 3, 4],
      [5, 3, 40],
      [7, 6, 2],
      [9, 8, 60],
    ]);
    const score = (a: number, b: number) => Math.round(int8Cosine(row(v, a), row(v, b)) * 1e4) / 1e4;
    const thresholds = { 'near-identical': 0.97, 'very-similar': 0.9, similar: 0.8 };
    const catalog = items(300, [5]);
    // Rows are stored in reverse catalog order, as a sharded index stores them in cell order.
    const stored = new Int8Array(v.length);
    for (let p = 0; p < 300; p++) stored.set(row(v, p), (299 - p) * DIMS);
    const found = findDuplicateGroups({
      vectors: stored,
      dims: DIMS,
      positionOf: (r) => 299 - r,
      itemAt: (p) => catalog[p],
      thresholds,
    });
    const sets = (s: keyof typeof thresholds) =>
      found.levels[s].groups.map((g) => [...g.members].sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]);
    expect(sets('near-identical')).toEqual([
      [3, 4],
      [6, 7],
    ]);
    expect(sets('very-similar')).toEqual([
      [3, 4, 5],
      [6, 7],
    ]);
    expect(sets('similar')).toEqual([
      [3, 4, 5],
      [6, 7],
      [8, 9],
    ]);
    // 5 is the largest image: the representative once it joins, although it is the farthest copy.
    const loose = found.levels.similar.groups;
    expect(loose.map((g) => g.members[0])).toEqual([5, 6, 8]);
    expect(loose[0].members).toEqual([5, ...[3, 4].sort((a, b) => score(5, b) - score(5, a) || a - b)]);
    expect(loose[0].scores).toEqual([1, ...loose[0].members.slice(1).map((p) => score(5, p))]);
    expect(loose[0].minScore).toBe(Math.min(score(3, 4), score(3, 5), score(4, 5)));
    expect(loose[2].minScore).toBe(score(8, 9));
    // Without a larger image the first in the catalog represents the group.
    expect(found.levels['near-identical'].groups.map((g) => g.members[0]).sort()).toEqual([3, 6]);
    expect(found.pairs).toBe(5);
  });
});

describe('duplicateThresholds', () => {
  it("uses the calibration's three closest labels, and the documented constants without one", () => {
    const edited = Array.from({ length: 100 }, (_, i) => 0.5 + i / 250);
    const random = Array.from({ length: 2000 }, (_, i) => -0.2 + (i % 100) / 200);
    const calibration = calibrationFrom(edited, random, 1000)!;
    expect(duplicateThresholds(calibration)).toEqual({
      thresholds: {
        'near-identical': calibration.thresholds['near-identical'],
        'very-similar': calibration.thresholds['very-similar'],
        similar: calibration.thresholds.similar,
      },
      source: 'calibration',
    });
    expect(duplicateThresholds(null)).toEqual({
      thresholds: DEFAULT_DUPLICATE_THRESHOLDS,
      source: 'default',
    });
  });
});
