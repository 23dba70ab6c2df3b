import { describe, expect, it } from 'vitest';
import { RowDots } from './rowDots';
import { sleb, uleb } from './wasmModule';

/** A deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function values(n: number, max: number, next: () => number): Int8Array {
  return Int8Array.from({ length: n }, () => Math.round((next() * 2 - 1) * max));
}

function expectedDots(query: Int8Array, vectors: Int8Array, dims: number): number[] {
  const out: number[] = [];
  for (let off = 0; off < vectors.length; off += dims) {
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += query[d] * vectors[off + d];
    out.push(dot);
  }
  return out;
}

describe('LEB128', () => {
  it('encodes the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
  });
});

describe('RowDots', () => {
  it('gives the exact int8 dot products, for dims that do not fill whole blocks too', () => {
    const next = random(1);
    for (const dims of [1, 15, 16, 17, 96, 128, 130]) {
      const vectors = values(37 * dims, 127, next);
      const query = values(dims, 127, next);
      const dots = RowDots.create(vectors, dims, 8)!;
      expect(dots).not.toBeNull();
      expect([...dots.dots(query)], `${dims} dims`).toEqual(expectedDots(query, vectors, dims));
    }
  });

  it('gives the exact products of int4 rows, at the extremes of both ranges', () => {
    const next = random(2);
    for (const dims of [2, 30, 32, 34, 64, 256, 258]) {
      const vectors = values(41 * dims, 7, next);
      const query = values(dims, 127, next);
      const dots = RowDots.create(vectors, dims, 4)!;
      expect([...dots.dots(query)], `${dims} dims`).toEqual(expectedDots(query, vectors, dims));
    }
    // Every value at its extreme: the largest sums the kernels add up.
    for (const [row, q] of [
      [7, -128],
      [-7, -128],
      [-7, 127],
    ]) {
      const dims = 256;
      const vectors = new Int8Array(3 * dims).fill(row);
      const query = new Int8Array(dims).fill(q);
      expect([...RowDots.create(vectors, dims, 4)!.dots(query)]).toEqual([
        row * q * dims,
        row * q * dims,
        row * q * dims,
      ]);
      expect([...RowDots.create(vectors, dims, 8)!.dots(query)]).toEqual([
        row * q * dims,
        row * q * dims,
        row * q * dims,
      ]);
    }
    const dims = 128;
    const vectors = new Int8Array(2 * dims).fill(-128);
    expect([...RowDots.create(vectors, dims, 8)!.dots(new Int8Array(dims).fill(-128))]).toEqual([
      128 * 128 * dims,
      128 * 128 * dims,
    ]);
  });

  it('answers one query after another, each from its own values', () => {
    const next = random(3);
    const dims = 128;
    const vectors = values(500 * dims, 7, next);
    const dots = RowDots.create(vectors, dims, 4)!;
    for (let i = 0; i < 5; i++) {
      const query = values(dims, 127, next);
      expect([...dots.dots(query)]).toEqual(expectedDots(query, vectors, dims));
    }
    expect(() => dots.dots(new Int8Array(dims + 1))).toThrow(/129 dims/);
  });

  it('is null for no rows, and refuses int4 rows of an odd width', () => {
    expect(RowDots.create(new Int8Array(0), 8, 8)).toBeNull();
    expect(() => RowDots.create(new Int8Array(6), 3, 4)).toThrow(/even number of dims/);
  });
});
