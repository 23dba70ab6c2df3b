import { mulberry32 } from './prng';

/**
 * Random-hyperplane LSH whose planes are regenerated from a seed, so an index stores only the seed.
 *
 * Every step is integer arithmetic that JS engines must evaluate identically: mulberry32
 * (core/prng.ts) uses only Math.imul and 32-bit shifts; a plane coefficient is an Irwin–Hall sum of
 * four 16-bit uniforms (a centred integer, roughly Gaussian); a dot product with an int8 vector is a
 * sum of integers far below 2^53, so it is exact whatever the summation order. The sign bit is
 * therefore bit-identical in every engine, in Node and in the browser.
 */

/** Coefficients are sums of this many 16-bit uniforms. */
const IRWIN_HALL_TERMS = 4;
/** Subtracting the Irwin–Hall mean (4 × 65535/2) centres the coefficients on zero. */
const IRWIN_HALL_CENTRE = (IRWIN_HALL_TERMS * 65535) / 2;

export function assertLshShape(bits: number, dims: number): void {
  if (!Number.isInteger(bits) || bits < 32 || bits % 32 !== 0 || bits > 4096) {
    throw new RangeError(`LSH bits must be a multiple of 32 in 32..4096, got ${bits}`);
  }
  if (!Number.isInteger(dims) || dims < 1 || dims > 65536) {
    throw new RangeError(`LSH dims must be an integer in 1..65536, got ${dims}`);
  }
}

/**
 * The `bits` hyperplanes for `dims`-dimensional vectors, row-major (bits × dims). Coefficients are
 * whole numbers in [-131070, 131070] stored as doubles, so products with int8 values stay exact.
 */
export function lshPlanes(seed: number, bits: number, dims: number): Float64Array {
  assertLshShape(bits, dims);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`LSH seed must be an unsigned 32-bit integer, got ${seed}`);
  }
  const next = mulberry32(seed);
  const planes = new Float64Array(bits * dims);
  for (let i = 0; i < planes.length; i++) {
    let sum = 0;
    for (let t = 0; t < IRWIN_HALL_TERMS; t += 2) {
      const r = next();
      sum += (r & 0xffff) + (r >>> 16);
    }
    planes[i] = sum - IRWIN_HALL_CENTRE;
  }
  return planes;
}

/** Number of 32-bit words in a code of `bits` bits. */
export function codeWords(bits: number): number {
  return bits >>> 5;
}

/**
 * Sign bits of the plane projections: bit b (word b>>>5, bit b&31) is set iff plane b · v > 0.
 * Writes into `out` when given (for scans without per-row allocation).
 */
export function lshCode(planes: Float64Array, bits: number, v: Int8Array, out?: Uint32Array): Uint32Array {
  const dims = v.length;
  assertLshShape(bits, dims);
  if (planes.length !== bits * dims) {
    throw new RangeError(`LSH planes have ${planes.length} values, expected ${bits}×${dims}`);
  }
  const words = codeWords(bits);
  const code = out ?? new Uint32Array(words);
  if (code.length !== words)
    throw new RangeError(`LSH code buffer has ${code.length} words, expected ${words}`);
  code.fill(0);
  for (let b = 0; b < bits; b++) {
    const base = b * dims;
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += planes[base + d] * v[d];
    if (dot > 0) code[b >>> 5] |= 1 << (b & 31);
  }
  return code;
}

/** Population count of a 32-bit word (SWAR). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The bucket of a code: its first `bucketBits` bits (the low bits of word 0). */
export function bucketOf(code: Uint32Array, offset: number, bucketBits: number): number {
  if (bucketBits === 0) return 0;
  return (code[offset] & (0xffffffff >>> (32 - bucketBits))) >>> 0;
}
