import { describe, expect, it } from 'vitest';
import { formatPercent } from './formatPercent';

describe('formatPercent', () => {
  it('is null when the total is unknown', () => {
    expect(formatPercent(10, null, false)).toBeNull();
    expect(formatPercent(10, 0, false)).toBeNull();
  });

  it('floors and caps at 99 until done', () => {
    expect(formatPercent(1, 3, false)).toBe('33%');
    expect(formatPercent(100, 100, false)).toBe('99%');
    expect(formatPercent(100, 100, true)).toBe('100%');
  });
});
