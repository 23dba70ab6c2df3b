import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha256Bytes, sha256Hex, useSha256 } from './sha256';

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Hex(new Uint8Array(0))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('hashes only the view, not the whole underlying buffer', () => {
    const buffer = new TextEncoder().encode('xxabcxx');
    expect(sha256Hex(buffer.subarray(2, 5))).toBe(sha256Hex(new TextEncoder().encode('abc')));
    expect(sha256Bytes(buffer.subarray(2, 5))).toHaveLength(32);
  });

  it('rejects non-bytes', () => {
    expect(() => sha256Hex('abc' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('uses the digest a runtime supplies', () => {
    const seen: number[] = [];
    useSha256((bytes) => {
      seen.push(bytes.length);
      return new Uint8Array(32).fill(7);
    });
    try {
      expect(sha256Hex(new Uint8Array(5))).toBe('07'.repeat(32));
      expect(seen).toEqual([5]);
    } finally {
      useSha256(sha256);
    }
  });
});
