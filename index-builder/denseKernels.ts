/*
 * The dense products the transform fit spends its time in, over flat row-major Float64Arrays.
 * ml-matrix's generic get/set products and Householder QR took ~75 % of a fresh demo build's
 * assemble step (1320-d embeddings: a 1320² scatter over 10,000 rows and 16 rounds of subspace
 * iteration); these loops touch memory in order and reuse each loaded value across several rows.
 */

/** Rows of the scatter accumulated per pass over the accumulator: it is dim² doubles, too big for a cache. */
const ROW_BLOCK = 8;

/**
 * XᵀX of `rows` (each `dim` long) as a flat dim × dim array, both triangles filled. Each pass adds
 * ROW_BLOCK rows, so the dim² accumulator is streamed through memory n / ROW_BLOCK times, not n.
 */
export function scatter(rows: readonly Float64Array[], dim: number): Float64Array {
  const acc = new Float64Array(dim * dim);
  const zero = new Float64Array(dim);
  for (let start = 0; start < rows.length; start += ROW_BLOCK) {
    const block = Array.from({ length: ROW_BLOCK }, (_, b) => rows[start + b] ?? zero);
    const [x0, x1, x2, x3, x4, x5, x6, x7] = block;
    for (let i = 0; i < dim; i++) {
      const a0 = x0[i];
      const a1 = x1[i];
      const a2 = x2[i];
      const a3 = x3[i];
      const a4 = x4[i];
      const a5 = x5[i];
      const a6 = x6[i];
      const a7 = x7[i];
      const base = i * dim;
      for (let j = i; j < dim; j++) {
        acc[base + j] +=
          a0 * x0[j] +
          a1 * x1[j] +
          a2 * x2[j] +
          a3 * x3[j] +
          a4 * x4[j] +
          a5 * x5[j] +
          a6 * x6[j] +
          a7 * x7[j];
      }
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) acc[i * dim + j] = acc[j * dim + i];
  return acc;
}

/**
 * a (n × m) times b (m × p), row-major. Four rows of `a` share each pass over `b`, which is usually the
 * big operand (the scatter matrix): the loop is bound by reading `b`, not by the arithmetic.
 */
export function multiply(a: Float64Array, n: number, m: number, b: Float64Array, p: number): Float64Array {
  if (a.length !== n * m || b.length !== m * p) throw new Error('multiply: shapes do not match');
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i += 4) {
    const rows = Math.min(4, n - i);
    // Missing rows (n not a multiple of 4) multiply by zero weights into a scratch row.
    const o0 = i * p;
    const o1 = rows > 1 ? o0 + p : -1;
    const o2 = rows > 2 ? o0 + 2 * p : -1;
    const o3 = rows > 3 ? o0 + 3 * p : -1;
    for (let k = 0; k < m; k++) {
      const w0 = a[i * m + k];
      const w1 = o1 < 0 ? 0 : a[(i + 1) * m + k];
      const w2 = o2 < 0 ? 0 : a[(i + 2) * m + k];
      const w3 = o3 < 0 ? 0 : a[(i + 3) * m + k];
      const bBase = k * p;
      if (rows === 4) {
        for (let j = 0; j < p; j++) {
          const v = b[bBase + j];
          out[o0 + j] += w0 * v;
          out[o1 + j] += w1 * v;
          out[o2 + j] += w2 * v;
          out[o3 + j] += w3 * v;
        }
      } else {
        for (let j = 0; j < p; j++) {
          const v = b[bBase + j];
          out[o0 + j] += w0 * v;
          if (o1 >= 0) out[o1 + j] += w1 * v;
          if (o2 >= 0) out[o2 + j] += w2 * v;
        }
      }
    }
  }
  return out;
}

function dot(v: Float64Array, a: number, b: number, width: number): number {
  let s = 0;
  for (let j = 0; j < width; j++) s += v[a + j] * v[b + j];
  return s;
}

/**
 * Makes the `count` rows of `rows` (each `width` long) orthonormal in place, in order (modified
 * Gram–Schmidt, twice: one pass leaves rounding-level overlaps when rows are nearly parallel, as they
 * are after a power step). A row with nothing left after removing the earlier ones is replaced by a
 * deterministic pseudo-random one, so the result always spans `count` dimensions.
 */
export function orthonormaliseRows(rows: Float64Array, count: number, width: number, seed: number): void {
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32 - 0.5;
  };
  for (let r = 0; r < count; r++) {
    const base = r * width;
    const before = Math.sqrt(dot(rows, base, base, width));
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let s = 0; s < r; s++) {
          const proj = dot(rows, base, s * width, width);
          if (proj === 0) continue;
          const sBase = s * width;
          for (let j = 0; j < width; j++) rows[base + j] -= proj * rows[sBase + j];
        }
      }
      const norm = Math.sqrt(dot(rows, base, base, width));
      if (norm > 1e-10 * Math.max(before, 1e-300) && norm > 0) {
        for (let j = 0; j < width; j++) rows[base + j] /= norm;
        break;
      }
      if (attempt >= 3) throw new Error('orthonormaliseRows: cannot find an independent direction');
      for (let j = 0; j < width; j++) rows[base + j] = random();
    }
  }
}
