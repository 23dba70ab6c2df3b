/**
 * mulberry32: a tiny seeded 32-bit PRNG; returns a generator of unsigned 32-bit integers.
 *
 * Only Math.imul and 32-bit shifts, so every JS engine produces the same sequence for a seed: the LSH
 * planes (core/lsh.ts, docs/index-format.md) are regenerated from it, and the builder, the bench and the
 * tests draw their reproducible samples from it.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
