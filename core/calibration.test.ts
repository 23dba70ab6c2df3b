import { describe, expect, it } from 'vitest';
import { NewerFormatError } from './formatVersion';
import {
  calibrationFrom,
  MIN_EDITED_COPIES,
  MIN_RANDOM_PAIRS,
  parseCalibration,
  PARTNERS_PER_IMAGE,
  passesCutOff,
  quantile,
  similarityLabel,
} from './calibration';

/** n values evenly spread over [lo, hi]. */
const spread = (n: number, lo: number, hi: number) =>
  Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

describe('similarity calibration', () => {
  it('takes quantiles between order statistics', () => {
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([5], 0.99)).toBe(5);
  });

  it('places thresholds at the edited copies’ and random pairs’ quantiles', () => {
    const c = calibrationFrom(spread(101, 0.6, 1), spread(10001, -0.2, 0.3), 1000)!;
    expect(c.thresholds['near-identical']).toBeCloseTo(0.8, 3);
    expect(c.thresholds['very-similar']).toBeCloseTo(0.62, 3);
    expect(c.thresholds.similar).toBeCloseTo(0.2995, 3);
    expect(c.thresholds['loosely-related']).toBeCloseTo(0.295, 3);
    expect(similarityLabel(0.95, c)).toBe('near-identical');
    expect(similarityLabel(0.7, c)).toBe('very-similar');
    expect(similarityLabel(0.4, c)).toBe('similar');
    expect(similarityLabel(0.296, c)).toBe('loosely-related');
    expect(similarityLabel(0.1, c)).toBe('unrelated');
  });

  it('lets edited copies win where random pairs score above the hard edits', () => {
    // Ten images: the per-image bound (5 of 9 others) lies below the edits' quantiles.
    const c = calibrationFrom(spread(101, 0.4, 0.9), spread(2001, 0, 0.8), 10)!;
    const t = c.thresholds;
    expect(t['near-identical']).toBeCloseTo(0.65, 3);
    expect(t['very-similar']).toBeCloseTo(0.425, 3);
    // Random pairs' 99.9th percentile (0.7992) is above the hard edits: the similar band is empty.
    expect(t.similar).toBe(t['very-similar']);
    expect(t['loosely-related']).toBe(t['very-similar']);
  });

  it('gives an average image no more than a few near-identical or very similar partners', () => {
    // The demo's shape: hard edits of small drawings score where 1 % of random pairs do (0.27 of
    // 0.27–0.87), and a long tail of look-alikes and skin-tone siblings reaches 0.95.
    const edited = spread(1500, 0.27, 0.87);
    const random = [...spread(99_000, -0.3, 0.25), ...spread(1000, 0.25, 0.95)];
    const share = (t: number) => random.filter((s) => s >= t).length / random.length;
    const few = calibrationFrom(edited, random, 1000)!;
    const many = calibrationFrom(edited, random, 11_355)!;
    for (const [c, images] of [
      [few, 1000],
      [many, 11_355],
    ] as const) {
      // One sampled pair more or less at the boundary (quantiles of a sample, thresholds rounded).
      const onePair = (images - 1) / random.length;
      expect(share(c.thresholds['very-similar']) * (images - 1)).toBeLessThanOrEqual(
        PARTNERS_PER_IMAGE + onePair,
      );
      expect(share(c.thresholds['near-identical']) * (images - 1)).toBeLessThanOrEqual(
        PARTNERS_PER_IMAGE + onePair,
      );
      expect(c.measured.images).toBe(images);
    }
    // Without the bound, very similar would be the hard edits' 5th percentile (0.30): 1 % of pairs,
    // 113 partners per image among 11,355.
    expect(share(quantile(edited, 0.05)) * 11_354).toBeGreaterThan(100);
    // The larger collection needs the higher thresholds; the looser labels stay where they were.
    expect(many.thresholds['very-similar']).toBeGreaterThan(few.thresholds['very-similar']);
    expect(many.thresholds['loosely-related']).toBeCloseTo(quantile(random, 0.99), 4);
    expect(few.thresholds['loosely-related']).toBeCloseTo(quantile(random, 0.99), 4);
  });

  it('reads calibrations written before the per-image bound', () => {
    const c = calibrationFrom(spread(50, 0.5, 1), spread(3000, 0, 0.3), 1000)!;
    const { images: _images, ...measured } = c.measured;
    const { perImageBound: _bound, ...randomPair } = measured.randomPair;
    const older = { ...c, measured: { ...measured, randomPair } };
    expect(parseCalibration(JSON.parse(JSON.stringify(older)))).toEqual(older);
    expect(() => parseCalibration({ ...c, measured: { ...c.measured, images: -1 } })).toThrow(
      /calibration\.measured\.images/,
    );
  });

  it('is not made from too few samples', () => {
    expect(calibrationFrom(spread(MIN_EDITED_COPIES - 1, 0.5, 1), spread(5000, 0, 0.3), 1000)).toBeNull();
    expect(calibrationFrom(spread(100, 0.5, 1), spread(MIN_RANDOM_PAIRS - 1, 0, 0.3), 1000)).toBeNull();
  });

  it('orders cut-offs from the closest label down', () => {
    expect(passesCutOff('near-identical', 'similar')).toBe(true);
    expect(passesCutOff('loosely-related', 'similar')).toBe(false);
    expect(passesCutOff('unrelated', 'unrelated')).toBe(true);
  });

  it('round-trips through JSON and rejects thresholds out of order, naming the field', () => {
    const c = calibrationFrom(spread(50, 0.5, 1), spread(3000, 0, 0.3), 1000)!;
    expect(parseCalibration(JSON.parse(JSON.stringify(c)))).toEqual(c);
    const bad = { ...c, thresholds: { ...c.thresholds, similar: 0.99 } };
    expect(() => parseCalibration(bad)).toThrow(/calibration\.thresholds\.similar must not exceed/);
    expect(() => parseCalibration({ ...c, version: 0 })).toThrow(/calibration\.version/);
    expect(() => parseCalibration({ ...c, version: 2 })).toThrow(NewerFormatError);
  });
});
