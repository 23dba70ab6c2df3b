import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { OnnxGraph, valueInfo } from '../models/onnxGraph';

/*
 * The dense products the transform fit spends its time in. They run as an ONNX Gemm in float64 through
 * onnxruntime (its CPU provider, every core): JS loops over Float64Arrays took 8.4 s for the 1320² scatter
 * of 10,000 rows that this does in 0.25 s, and the fit, 28 s of a fresh demo build. Float64 keeps the
 * eigenvectors as accurate as the loops did. Repeated fits give the same bytes (fitTransform.test.ts,
 * and the distributed build's equality with the single-machine one), which rebuilds rely on.
 * The neighbour lists' all-pairs scan gets its int8 dot products here too (int8Dots, float32, exact).
 */

/** A row-major matrix. */
export interface Dense {
  data: Float64Array;
  rows: number;
  cols: number;
}

export function dense(data: Float64Array, rows: number, cols: number): Dense {
  if (data.length !== rows * cols)
    throw new Error(`dense: ${data.length} values for a ${rows} × ${cols} matrix`);
  return { data, rows, cols };
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function gemmSession(
  transA: boolean,
  transB: boolean,
  type: 'float64' | 'float32' = 'float64',
): Promise<ort.InferenceSession> {
  const key = `${transA}/${transB}/${type}`;
  let session = sessions.get(key);
  if (session === undefined) {
    const g = new OnnxGraph();
    const y = g.node('Gemm', ['a', 'b'], 'y', { transA: transA ? 1 : 0, transB: transB ? 1 : 0 });
    const model = g.toBytes({
      name: 'gemm',
      inputs: [valueInfo('a', ['a0', 'a1'], type), valueInfo('b', ['b0', 'b1'], type)],
      outputs: [valueInfo(y, ['m', 'n'], type)],
    });
    session = ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: availableParallelism(),
      interOpNumThreads: 1,
    });
    session.catch(() => sessions.delete(key));
    sessions.set(key, session);
  }
  return session;
}

/** op(a) · op(b), where op transposes when asked: e.g. `product(x, x, { transA: true })` is XᵀX. */
export async function product(
  a: Dense,
  b: Dense,
  { transA = false, transB = false }: { transA?: boolean; transB?: boolean } = {},
): Promise<Dense> {
  const [n, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [k2, m] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  if (k !== k2) throw new Error(`product: shapes do not match (${n} × ${k} times ${k2} × ${m})`);
  if (n === 0 || m === 0) return dense(new Float64Array(0), n, m);
  if (k === 0) return dense(new Float64Array(n * m), n, m);
  const session = await gemmSession(transA, transB);
  const out = await session.run({
    a: new ort.Tensor('float64', a.data, [a.rows, a.cols]),
    b: new ort.Tensor('float64', b.data, [b.rows, b.cols]),
  });
  const y = out[session.outputNames[0]];
  return dense(y.data as Float64Array, n, m);
}

/** Below this width every partial sum of int8 products (each at most 128² in magnitude) is under 2²⁴. */
const EXACT_FLOAT32_WIDTH = 1024;

/**
 * The dot products of int8 rows (given as float32 values, `width` each): `a`'s rows × `b`'s rows, row
 * major. Exact: while width < 1024 every partial sum is an integer below 2²⁴, which float32 holds, so
 * the order onnxruntime adds in does not matter, and the results equal an integer loop's; wider rows
 * go through the float64 product.
 */
export async function int8Dots(
  a: Float32Array,
  b: Float32Array,
  width: number,
): Promise<Float64Array | Float32Array> {
  const n = a.length / width;
  const m = b.length / width;
  if (!Number.isInteger(n) || !Number.isInteger(m)) throw new Error(`int8Dots: rows are not ${width} wide`);
  if (n === 0 || m === 0) return new Float32Array(n * m);
  if (width >= EXACT_FLOAT32_WIDTH)
    return (
      await product(dense(Float64Array.from(a), n, width), dense(Float64Array.from(b), m, width), {
        transB: true,
      })
    ).data;
  const session = await gemmSession(false, true, 'float32');
  const out = await session.run({
    a: new ort.Tensor('float32', a, [n, width]),
    b: new ort.Tensor('float32', b, [m, width]),
  });
  return out[session.outputNames[0]].data as Float32Array;
}

function dot(v: Float64Array, a: number, b: number, width: number): number {
  let s = 0;
  for (let j = 0; j < width; j++) s += v[a + j] * v[b + j];
  return s;
}

/**
 * Orthonormal rows spanning, row by row, what `q`'s rows span (row i is a combination of rows 0…i, so
 * the first keeps its direction): Cholesky QR twice (Q ← L⁻¹Q with QQᵀ = LLᵀ; the second pass removes
 * what rounding left), whose products run in `product`. Rows that are (nearly) dependent break the
 * Cholesky factorisation; then modified Gram–Schmidt does it in JS, replacing each row with nothing
 * left by a deterministic pseudo-random one, so the result always spans `q.rows` dimensions.
 */
export async function orthonormalised(q: Dense, seed: number): Promise<Dense> {
  const once = await choleskyQr(q);
  const twice = once && (await choleskyQr(once));
  if (twice !== undefined) return twice;
  const rows = Float64Array.from(q.data);
  orthonormaliseRows(rows, q.rows, q.cols, seed);
  return dense(rows, q.rows, q.cols);
}

/** A row whose part outside the earlier rows' span is below this share of its length counts as dependent. */
const CHOLESKY_MIN_SINE2 = 1e-10;

async function choleskyQr(q: Dense): Promise<Dense | undefined> {
  const n = q.rows;
  const g = (await product(q, q, { transB: true })).data;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = g[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > CHOLESKY_MIN_SINE2 * g[i * n + i])) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  // L⁻¹, lower triangular, by forward substitution.
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    inv[i * n + i] = 1 / l[i * n + i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k] * inv[k * n + j];
      inv[i * n + j] = -s / l[i * n + i];
    }
  }
  return product(dense(inv, n, n), q);
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

/** Rows centred and projected at a time: bounds their float64 copy (about 19 MB at 2,280 inputs). */
const PROJECT_BLOCK_ROWS = 1024;

/** `rows` (indices into `embeddings`) minus `mean`, projected by `basis` (d × input dims), in blocks. */
export async function projectRows(
  rows: readonly number[],
  embeddings: readonly Float32Array[],
  mean: Float64Array,
  basis: Dense,
): Promise<Dense> {
  const { rows: d, cols: inputDim } = basis;
  const out = dense(new Float64Array(rows.length * d), rows.length, d);
  for (let start = 0; start < rows.length; start += PROJECT_BLOCK_ROWS) {
    const block = rows.slice(start, start + PROJECT_BLOCK_ROWS);
    const raw = dense(new Float64Array(block.length * inputDim), block.length, inputDim);
    block.forEach((r, i) => {
      const e = embeddings[r];
      for (let j = 0; j < inputDim; j++) raw.data[i * inputDim + j] = e[j] - mean[j];
    });
    out.data.set((await product(raw, basis, { transB: true })).data, start * d);
  }
  return out;
}
