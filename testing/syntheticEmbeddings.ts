import { mulberry32 } from '../core/prng';

/** Seeded standard normal samples (Box–Muller over mulberry32); test data only, not bit-exact. */
function gaussian(seed: number): () => number {
  const next = mulberry32(seed);
  return () => {
    const u = (next() + 1) / 4294967297;
    const v = next() / 4294967296;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

interface SyntheticOptions {
  count: number;
  dim: number;
  clusters: number;
  /** Noise around a cluster centre relative to the centre's spread (0.5 = tight, 1.5 = loose). */
  spread: number;
  seed: number;
  /**
   * Variance of input dimension j decays like 1/(1+j)^decay, as in CNN features where a few
   * directions carry most of the variance; 0 = isotropic.
   */
  decay?: number;
}

/** Unit-norm clustered vectors resembling CNN embeddings: cluster id of row i is labels[i]. */
export function syntheticEmbeddings(o: SyntheticOptions): { embeddings: Float32Array[]; labels: Int32Array } {
  const g = gaussian(o.seed);
  const scale = Float64Array.from({ length: o.dim }, (_, j) => 1 / Math.pow(1 + j, (o.decay ?? 0) / 2));
  const offset = Float64Array.from({ length: o.dim }, () => 3 * Math.abs(g()));
  const centres = Array.from({ length: o.clusters }, () =>
    Float64Array.from({ length: o.dim }, (_, j) => g() * scale[j]),
  );
  const labels = Int32Array.from({ length: o.count }, (_, i) => i % o.clusters);
  const rows = Array.from(labels, (c) => {
    const centre = centres[c];
    const v = new Float32Array(o.dim);
    let n2 = 0;
    for (let j = 0; j < o.dim; j++) {
      // A shared positive offset mimics post-ReLU features, which the collection mean must remove.
      const x = offset[j] * scale[j] + centre[j] + o.spread * g() * scale[j];
      v[j] = x;
      n2 += x * x;
    }
    const inv = 1 / Math.sqrt(n2);
    for (let j = 0; j < o.dim; j++) v[j] *= inv;
    return v;
  });
  return { embeddings: rows, labels };
}

/** The benches' standard synthetic collection: clusters of about 50 near-duplicates, seeded by size. */
export function clusteredEmbeddings(count: number, dim: number): Float32Array[] {
  return syntheticEmbeddings({
    count,
    dim,
    clusters: Math.max(2, Math.round(count / 50)),
    spread: 1,
    seed: count,
    decay: 1,
  }).embeddings;
}

/**
 * Int8 rows like the sharded bench's (clusters of ~50 images, neighbours as similar as the emoji
 * demo's): each embedding scaled so its largest value is ±127, as compactVector does. `centred`
 * first removes the collection mean, as the index's transform does.
 */
export function clusteredInt8Rows(
  count: number,
  dim: number,
  o: { spread?: number; centred?: boolean } = {},
): Int8Array {
  const { embeddings } = syntheticEmbeddings({
    count,
    dim,
    clusters: Math.round(count / 50),
    spread: o.spread ?? 0.5,
    seed: count,
    decay: 1,
  });
  if (o.centred) {
    const mean = new Float64Array(dim);
    for (const e of embeddings) for (let d = 0; d < dim; d++) mean[d] += e[d] / count;
    for (const e of embeddings) for (let d = 0; d < dim; d++) e[d] -= mean[d];
  }
  const out = new Int8Array(count * dim);
  embeddings.forEach((e, i) => {
    let max = 0;
    for (const x of e) max = Math.max(max, Math.abs(x));
    for (let d = 0; d < dim; d++) out[i * dim + d] = Math.round((e[d] / max) * 127);
  });
  return out;
}
