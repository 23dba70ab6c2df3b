import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32';

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('matches zlib on random data of every length mod 4 and at odd offsets', () => {
    const buf = new Uint8Array(4099);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
    for (const [start, end] of [
      [0, 4099],
      [1, 4098],
      [3, 10],
      [2, 3],
    ]) {
      const part = buf.subarray(start, end);
      expect(crc32(part)).toBe(zlibCrc32(part));
    }
  });
});
