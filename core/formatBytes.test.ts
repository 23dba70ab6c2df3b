import { describe, expect, it } from 'vitest';
import { formatBytes } from './formatBytes';

describe('formatBytes', () => {
  it('uses SI units (1000) with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.00 kB');
    expect(formatBytes(1024)).toBe('1.02 kB');
    expect(formatBytes(1500)).toBe('1.50 kB');
    expect(formatBytes(25_300)).toBe('25.3 kB');
    expect(formatBytes(3_400_000)).toBe('3.40 MB');
    expect(formatBytes(812_000_000)).toBe('812 MB');
    expect(formatBytes(2e12)).toBe('2.00 TB');
    expect(formatBytes(5e15)).toBe('5000 TB');
  });

  it('carries a figure that rounds up into the next digit or unit', () => {
    expect(formatBytes(9_996)).toBe('10.0 kB');
    expect(formatBytes(99_960)).toBe('100 kB');
    expect(formatBytes(999_600)).toBe('1.00 MB');
    expect(formatBytes(999_999)).toBe('1.00 MB');
  });

  it('marks impossible sizes', () => {
    expect(formatBytes(-1)).toBe('?');
    expect(formatBytes(Number.NaN)).toBe('?');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('?');
  });
});
