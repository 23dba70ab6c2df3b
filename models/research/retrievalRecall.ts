import * as ort from 'onnxruntime-node';
import { OnnxGraph, valueInfo } from '../onnxGraph';

/*
 * Recall@k for cross-vendor retrieval: each query must find an item with the same label among the
 * top k of a gallery by cosine. The similarity matrix is a MatMul run by onnxruntime (thousands × thousands
 * × hundreds of dims is too slow in plain JS).
 */

let matmul: Promise<ort.InferenceSession> | undefined;

/** A session computing `scores = a · b` (queries × dims by dims × gallery); shared by the quality measures. */
export function matmulSession(): Promise<ort.InferenceSession> {
  if (!matmul) {
    const g = new OnnxGraph();
    g.fresh('a');
    g.fresh('b');
    g.node('MatMul', ['a', 'b'], 'scores');
    const bytes = g.toBytes({
      name: 'similarity',
      inputs: [valueInfo('a', ['Q', 'D']), valueInfo('b', ['D', 'G'])],
      outputs: [valueInfo('scores', ['Q', 'G'])],
    });
    matmul = ort.InferenceSession.create(bytes);
  }
  return matmul;
}

/** Rows of `vectors` (n × dim) scaled to unit length. */
export function normaliseRows(vectors: Float32Array, dim: number): Float32Array {
  const out = Float32Array.from(vectors);
  for (let r = 0; r < out.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += out[r * dim + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[r * dim + j] *= inv;
  }
  return out;
}

/**
 * Fraction of queries whose top `k` gallery items (by dot product of the unit rows) include one with the
 * query's label. `queries` and `gallery` are row-major unit vectors of `dim` floats.
 */
export async function recallAtK(
  queries: { vectors: Float32Array; labels: string[] },
  gallery: { vectors: Float32Array; labels: string[] },
  dim: number,
  k = 10,
): Promise<number> {
  const session = await matmulSession();
  const g = gallery.labels.length;
  const transposed = new Float32Array(dim * g);
  for (let i = 0; i < g; i++)
    for (let j = 0; j < dim; j++) transposed[j * g + i] = gallery.vectors[i * dim + j];
  const b = new ort.Tensor('float32', transposed, [dim, g]);
  let hits = 0;
  const chunk = 256;
  for (let q0 = 0; q0 < queries.labels.length; q0 += chunk) {
    const q1 = Math.min(queries.labels.length, q0 + chunk);
    const a = new ort.Tensor('float32', queries.vectors.subarray(q0 * dim, q1 * dim), [q1 - q0, dim]);
    const scores = (await session.run({ a, b })).scores.data as Float32Array;
    for (let q = q0; q < q1; q++) {
      const row = scores.subarray((q - q0) * g, (q - q0 + 1) * g);
      // The best k, ties to the lower gallery index (as bench/devSetMetrics.ts ranks): counting every
      // item tied with the k-th as a hit flattered coarse rows (int8 dot products tie often).
      const best: { s: number; i: number }[] = [];
      for (let i = 0; i < g; i++) {
        const s = row[i];
        if (best.length < k || s > best[best.length - 1].s) {
          let at = best.length;
          while (at > 0 && best[at - 1].s < s) at--;
          best.splice(at, 0, { s, i });
          if (best.length > k) best.pop();
        }
      }
      const label = queries.labels[q];
      if (best.some((b) => gallery.labels[b.i] === label)) hits++;
    }
  }
  return hits / queries.labels.length;
}
