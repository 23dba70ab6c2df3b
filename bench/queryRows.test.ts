import { describe, expect, it } from 'vitest';
import { queryRows } from './queryRows';

describe('queryRows', () => {
  it('draws distinct rows in range, the same for the same seed', () => {
    const rows = queryRows(1_000_000, 100);
    expect(new Set(rows).size).toBe(100);
    expect(rows.every((r) => Number.isInteger(r) && r >= 0 && r < 1_000_000)).toBe(true);
    expect(queryRows(1_000_000, 100)).toEqual(rows);
    expect(queryRows(1_000_000, 100, 7)).not.toEqual(rows);
    expect(queryRows(5, 10).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('spreads over the clusters of a synthetic collection (row i in cluster i mod clusters)', () => {
    // Evenly spaced rows put all 100 queries of a million rows in 2 of its 20,000 clusters.
    const clusters = new Set(queryRows(1_000_000, 100).map((r) => r % 20_000));
    expect(clusters.size).toBeGreaterThan(90);
  });
});
