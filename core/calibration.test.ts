import { describe, expect, it } from 'vitest';
import { NewerFormatError } from './formatVersion';
import {
  calibrationFrom,
  MIN_EDITED_COPIES,
  MIN_RANDOM_PAIRS,
  parseCalibration,
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
    const c = calibrationFrom(spread(101, 0.6, 1), spread(10001, -0.2, 0.3))!;
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
    const c = calibrationFrom(spread(101, 0.4, 0.9), spread(2001, 0, 0.8))!;
    const t = c.thresholds;
    expect(t['near-identical']).toBeCloseTo(0.65, 3);
    expect(t['very-similar']).toBeCloseTo(0.425, 3);
    // Random pairs' 99.9th percentile (0.7992) is above the hard edits: the similar band is empty.
    expect(t.similar).toBe(t['very-similar']);
    expect(t['loosely-related']).toBe(t['very-similar']);
  });

  it('is not made from too few samples', () => {
    expect(calibrationFrom(spread(MIN_EDITED_COPIES - 1, 0.5, 1), spread(5000, 0, 0.3))).toBeNull();
    expect(calibrationFrom(spread(100, 0.5, 1), spread(MIN_RANDOM_PAIRS - 1, 0, 0.3))).toBeNull();
  });

  it('orders cut-offs from the closest label down', () => {
    expect(passesCutOff('near-identical', 'similar')).toBe(true);
    expect(passesCutOff('loosely-related', 'similar')).toBe(false);
    expect(passesCutOff('unrelated', 'unrelated')).toBe(true);
  });

  it('round-trips through JSON and rejects thresholds out of order, naming the field', () => {
    const c = calibrationFrom(spread(50, 0.5, 1), spread(3000, 0, 0.3))!;
    expect(parseCalibration(JSON.parse(JSON.stringify(c)))).toEqual(c);
    const bad = { ...c, thresholds: { ...c.thresholds, similar: 0.99 } };
    expect(() => parseCalibration(bad)).toThrow(/calibration\.thresholds\.similar must not exceed/);
    expect(() => parseCalibration({ ...c, version: 0 })).toThrow(/calibration\.version/);
    expect(() => parseCalibration({ ...c, version: 2 })).toThrow(NewerFormatError);
  });
});
