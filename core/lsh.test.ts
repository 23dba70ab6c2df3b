import { describe, expect, it } from 'vitest';
import { bucketOf, lshCode, lshPlanes, popcount32 } from './lsh';
import { mulberry32 } from './prng';
import { sha256Hex } from './sha256';

function randomInt8(seed: number, dims: number): Int8Array {
  const next = mulberry32(seed);
  return Int8Array.from({ length: dims }, () => (next() % 255) - 127);
}

describe('lshPlanes', () => {
  it('is a pure function of (seed, bits, dims) with whole, centred coefficients', () => {
    const a = lshPlanes(7, 64, 96);
    expect(a).toEqual(lshPlanes(7, 64, 96));
    expect(a).not.toEqual(lshPlanes(8, 64, 96));
    let sum = 0;
    for (const x of a) {
      expect(Number.isInteger(x)).toBe(true);
      expect(Math.abs(x)).toBeLessThanOrEqual(131070);
      sum += x;
    }
    // Mean of 6144 samples with sd ≈ 37,800: |mean| < 3 sd/√n ≈ 1,450.
    expect(Math.abs(sum / a.length)).toBeLessThan(1450);
  });

  it('keeps its bytes stable across releases (a change would invalidate every index)', () => {
    const planes = lshPlanes(0x6c6b6c6b, 256, 96);
    expect(sha256Hex(new Uint8Array(planes.buffer)).slice(0, 16)).toBe('b123ad6e15d3aaa9');
  });

  it('rejects bad shapes and seeds', () => {
    expect(() => lshPlanes(1, 48, 8)).toThrow(/multiple of 32/);
    expect(() => lshPlanes(1, 64, 0)).toThrow(/dims/);
    expect(() => lshPlanes(-1, 64, 8)).toThrow(/seed/);
    expect(() => lshPlanes(2 ** 32, 64, 8)).toThrow(/seed/);
  });
});

describe('lshCode', () => {
  it('sets bit b exactly when plane b · v > 0', () => {
    const dims = 20;
    const planes = lshPlanes(3, 64, dims);
    const v = randomInt8(5, dims);
    const code = lshCode(planes, 64, v);
    for (let b = 0; b < 64; b++) {
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += planes[b * dims + d] * v[d];
      expect(((code[b >>> 5] >>> (b & 31)) & 1) === 1).toBe(dot > 0);
    }
  });

  it('is independent of summation order (exact integer arithmetic)', () => {
    const dims = 96;
    const planes = lshPlanes(11, 32, dims);
    const v = randomInt8(12, dims);
    const forward = lshCode(planes, 32, v);
    for (let b = 0; b < 32; b++) {
      let dot = 0;
      for (let d = dims - 1; d >= 0; d--) dot += planes[b * dims + d] * v[d];
      expect(((forward[0] >>> b) & 1) === 1).toBe(dot > 0);
    }
  });

  it('estimates angles: Hamming distance / bits ≈ angle / π', () => {
    const dims = 64;
    const bits = 2048;
    const planes = lshPlanes(99, bits, dims);
    for (let trial = 0; trial < 5; trial++) {
      const a = randomInt8(100 + trial, dims);
      const b = randomInt8(200 + trial, dims);
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let d = 0; d < dims; d++) {
        dot += a[d] * b[d];
        na += a[d] * a[d];
        nb += b[d] * b[d];
      }
      const angle = Math.acos(dot / Math.sqrt(na * nb)) / Math.PI;
      const ca = lshCode(planes, bits, a);
      const cb = lshCode(planes, bits, b);
      let h = 0;
      for (let w = 0; w < ca.length; w++) h += popcount32(ca[w] ^ cb[w]);
      // sd of the estimate is ≤ 0.5/√2048 ≈ 0.011.
      expect(Math.abs(h / bits - angle)).toBeLessThan(0.045);
    }
  });

  it('writes into a caller buffer and checks sizes', () => {
    const planes = lshPlanes(1, 64, 8);
    const out = new Uint32Array(2).fill(0xffffffff);
    const v = randomInt8(2, 8);
    expect(lshCode(planes, 64, v, out)).toBe(out);
    expect(out).toEqual(lshCode(planes, 64, v));
    expect(() => lshCode(planes, 64, new Int8Array(9))).toThrow(/planes/);
    expect(() => lshCode(planes, 64, v, new Uint32Array(3))).toThrow(/words/);
  });
});

describe('popcount32 and bucketOf', () => {
  it('counts bits of any 32-bit pattern', () => {
    const next = mulberry32(5);
    for (let i = 0; i < 1000; i++) {
      const x = next();
      expect(popcount32(x)).toBe(x.toString(2).split('1').length - 1);
    }
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0)).toBe(0);
  });

  it('takes the low bits of word 0', () => {
    const code = new Uint32Array([0xdeadbeef, 0x12345678]);
    expect(bucketOf(code, 0, 0)).toBe(0);
    expect(bucketOf(code, 0, 4)).toBe(0xf);
    expect(bucketOf(code, 0, 16)).toBe(0xbeef);
    expect(bucketOf(code, 1, 8)).toBe(0x78);
  });
});
