import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../core/sha256';
import { digestMatches, sha256HexOf } from './downloadDigest';

describe('downloadDigest', () => {
  it('hashes like core sha256Hex', async () => {
    const bytes = new Uint8Array(100_003).map((_, i) => (i * 31) & 0xff);
    expect(await sha256HexOf(bytes.buffer)).toBe(sha256Hex(bytes));
  });

  it('accepts the full digest or a prefix of at least 16 digits, case-insensitively', () => {
    const full = sha256Hex(new Uint8Array([1, 2, 3]));
    expect(digestMatches(full, full)).toBe(true);
    expect(digestMatches(full, full.slice(0, 16).toUpperCase())).toBe(true);
    expect(digestMatches(full, full.slice(0, 8))).toBe(false);
    expect(digestMatches(full, `${full.slice(0, 15)}${full[15] === '0' ? '1' : '0'}`)).toBe(false);
  });
});
