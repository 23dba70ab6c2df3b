import { describe, expect, it } from 'vitest';
import { calibrationFrom } from '../../core/calibration';
import type { SearchResult } from '../../workers/searchApi';
import { applyCutOff } from './cutOff';

const spread = (n: number, lo: number, hi: number) =>
  Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const calibration = calibrationFrom(spread(101, 0.6, 1), spread(10001, -0.2, 0.3), 1000)!;
const result = (id: string, score: number) =>
  ({ id, score, item: { id, album: 'a', name: id } }) as unknown as SearchResult;

describe('applyCutOff', () => {
  const results = [result('dup', 0.95), result('close', 0.5), result('far', 0.1)];

  it('labels results and hides those below the cut-off', () => {
    const { shown, hidden } = applyCutOff(results, { calibration, cutOff: 'loosely-related' });
    expect(shown.map((r) => [r.id, r.label])).toEqual([
      ['dup', 'near-identical'],
      ['close', 'similar'],
    ]);
    expect(hidden.map((r) => r.id)).toEqual(['far']);
    expect(applyCutOff(results, { calibration, cutOff: 'near-identical' }).shown).toHaveLength(1);
    expect(applyCutOff(results, { calibration, cutOff: 'unrelated' }).hidden).toEqual([]);
  });

  it('shows everything, unlabelled, without a calibration', () => {
    const { shown, hidden } = applyCutOff(results, { calibration: null, cutOff: 'near-identical' });
    expect(shown.map((r) => r.label)).toEqual([null, null, null]);
    expect(hidden).toEqual([]);
  });
});
