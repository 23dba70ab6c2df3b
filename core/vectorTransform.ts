/**
 * Embedding → compact int8 vector. The parameters are fitted on the collection by the index builder
 * (index-builder/fitTransform.ts) and travel inside the index, so queries are transformed exactly
 * like the rows.
 */
export interface VectorTransform {
  inputDim: number;
  dims: number;
  /** Collection mean of the embeddings (inputDim). */
  mean: Float32Array;
  /** dims × inputDim, row-major: PCA components with the whitening already folded in. */
  projection: Float32Array;
  /** A unit-length projected vector times quantScale, rounded, is the int8 vector. */
  quantScale: number;
}

export function assertVectorTransform(t: VectorTransform): void {
  const { inputDim, dims, mean, projection, quantScale } = t;
  if (!Number.isInteger(inputDim) || inputDim < 1)
    throw new RangeError(`transform inputDim ${inputDim} is invalid`);
  if (!Number.isInteger(dims) || dims < 1 || dims > 65536)
    throw new RangeError(`transform dims ${dims} is invalid`);
  if (mean.length !== inputDim)
    throw new RangeError(`transform mean has ${mean.length} values, expected ${inputDim}`);
  if (projection.length !== dims * inputDim) {
    throw new RangeError(
      `transform projection has ${projection.length} values, expected ${dims}×${inputDim}`,
    );
  }
  if (!Number.isFinite(quantScale) || quantScale <= 0) {
    throw new RangeError(`transform quantScale must be a positive finite number, got ${quantScale}`);
  }
}

/** Centres, projects and L2-normalises; the float vector before quantization (zero if it has no norm). */
export function projectEmbedding(t: VectorTransform, embedding: Float32Array): Float64Array {
  const { inputDim, dims, projection } = t;
  const centred = centredEmbedding(t, embedding);
  const out = new Float64Array(dims);
  for (let d = 0; d < dims; d++) {
    const base = d * inputDim;
    let s = 0;
    for (let i = 0; i < inputDim; i++) s += projection[base + i] * centred[i];
    out[d] = s;
  }
  return normalised(out);
}

/** The embedding minus the collection mean, checked: the right length, every value finite. */
export function centredEmbedding(t: VectorTransform, embedding: Float32Array): Float64Array {
  const { inputDim, mean } = t;
  if (embedding.length !== inputDim) {
    throw new RangeError(`embedding has ${embedding.length} values, the index expects ${inputDim}`);
  }
  const centred = new Float64Array(inputDim);
  for (let i = 0; i < inputDim; i++) {
    const x = embedding[i];
    if (!Number.isFinite(x)) throw new RangeError(`embedding value ${i} is not finite (${x})`);
    centred[i] = x - mean[i];
  }
  return centred;
}

/** Scales `v` to unit length in place (a zero vector stays zero) and returns it. */
export function normalised(v: Float64Array): Float64Array {
  let norm2 = 0;
  for (let d = 0; d < v.length; d++) norm2 += v[d] * v[d];
  if (norm2 > 0) {
    const inv = 1 / Math.sqrt(norm2);
    for (let d = 0; d < v.length; d++) v[d] *= inv;
  }
  return v;
}

/** Quantizes a unit vector to int8; values beyond the collection's range clamp to ±127. */
export function quantize(unit: Float64Array, quantScale: number): Int8Array {
  const q = new Int8Array(unit.length);
  for (let d = 0; d < unit.length; d++) {
    const v = Math.round(unit[d] * quantScale);
    q[d] = v > 127 ? 127 : v < -127 ? -127 : v;
  }
  return q;
}

/**
 * How a resident index stores a row: int8 up to INT8_ROW_MAX_DIMS dims, int4 (two per byte) above, so
 * 256 dims cost the same 128 B as 128 int8 dims (docs/model.md, int4 rows). Queries stay int8 either
 * way: a score is a cosine, which does not depend on either vector's scale.
 */
export type RowBits = 4 | 8;
const INT8_ROW_MAX_DIMS = 128;
export const INT4_ROW_MAX = 7;
/**
 * An int4 row is round(unit · scale) clamped to ±7, with the clamp at 2.5 times the RMS component of a
 * unit vector (1/√dims): the rare larger values clamp, the common ones keep 15 levels.
 */
const INT4_CLAMP_RMS = 2.5;

export function rowBitsFor(dims: number): RowBits {
  return dims > INT8_ROW_MAX_DIMS ? 4 : 8;
}

/** A unit vector as a row stored with `rowBits`: int8 at quantScale, or int4 (values −7..7). */
export function quantizeRow(unit: Float64Array, quantScale: number, rowBits: RowBits): Int8Array {
  if (rowBits === 8) return quantize(unit, quantScale);
  const scale = (INT4_ROW_MAX * Math.sqrt(unit.length)) / INT4_CLAMP_RMS;
  const q = new Int8Array(unit.length);
  for (let d = 0; d < unit.length; d++) {
    const v = Math.round(unit[d] * scale);
    q[d] = v > INT4_ROW_MAX ? INT4_ROW_MAX : v < -INT4_ROW_MAX ? -INT4_ROW_MAX : v;
  }
  return q;
}

export function compactVector(t: VectorTransform, embedding: Float32Array): Int8Array {
  return quantize(projectEmbedding(t, embedding), t.quantScale);
}
