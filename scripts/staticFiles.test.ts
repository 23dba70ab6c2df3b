import { describe, expect, it } from 'vitest';
import { byteRange } from './staticFiles';

describe('byteRange', () => {
  it('reads one range, an open end and a suffix, clamped to the file', () => {
    expect(byteRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
    expect(byteRange('bytes=0-0', 100)).toEqual({ start: 0, end: 0 });
    expect(byteRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(byteRange('bytes=90-500', 100)).toEqual({ start: 90, end: 99 });
    expect(byteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(byteRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });

  it('calls a range that starts past the end unsatisfiable', () => {
    expect(byteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(byteRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(byteRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it('ignores what it does not serve: no header, other units, several ranges, bad syntax', () => {
    for (const h of [
      undefined,
      'items=0-1',
      'bytes=0-1,4-5',
      'bytes=5-1',
      'bytes=-',
      'bytes=a-b',
      'bytes=1e3-',
    ]) {
      expect(byteRange(h, 100), String(h)).toBeNull();
    }
  });
});
