import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/prng';
import { sha256Bytes, sha256Hex } from '../core/sha256';
import { contentHash } from './contentAddress';

describe("core's SHA-256 in a builder process", () => {
  it('gives the pure-JS digest for every length once node:crypto is installed', () => {
    const next = mulberry32(5);
    for (const length of [0, 1, 55, 56, 63, 64, 65, 1000, 100_003]) {
      const bytes = Uint8Array.from({ length }, () => next() & 255);
      expect(sha256Hex(bytes)).toBe(bytesToHex(sha256(bytes)));
      expect(sha256Hex(bytes)).toBe(contentHash(bytes));
      const raw = sha256Bytes(bytes);
      expect(raw.constructor).toBe(Uint8Array);
      expect(raw).toEqual(sha256(bytes));
    }
  });
});
