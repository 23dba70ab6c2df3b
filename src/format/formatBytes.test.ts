import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent } from './formatBytes';

describe('formatBytes', () => {
  it('uses decimal units with sensible precision', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.50 KB');
    expect(formatBytes(25_300)).toBe('25.3 KB');
    expect(formatBytes(3_400_000)).toBe('3.40 MB');
    expect(formatBytes(812_000_000)).toBe('812 MB');
    expect(formatBytes(2e12)).toBe('2000 GB');
  });

  it('marks impossible sizes', () => {
    expect(formatBytes(-1)).toBe('?');
    expect(formatBytes(Number.NaN)).toBe('?');
  });
});

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
