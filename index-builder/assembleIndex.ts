import { encodeIndex } from '../core/indexFormat';
import { bucketOf, codeWords, lshCode, lshPlanes } from '../core/lsh';
import {
  projectEmbedding,
  quantizeRow,
  rowBitsFor,
  type RowBits,
  type VectorTransform,
} from '../core/vectorTransform';
import { fitTransform, type TransformInputs } from './fitTransform';
import { neighbourBlend, type NeighbourBlendOptions } from './neighbourBlend';

/**
 * A resident index stores 128-d int8 vectors and no LSH code: 128 B per image. Against 96 dims + a
 * 256-bit code (the same bytes) the extra dimensions find more of the right images on the development
 * sets, and a query scans every row (exact: 1.5 ms at 11,355 rows, 8–10 ms at 50,000 in Node) instead
 * of re-ranking LSH candidates (docs/model.md, index dims). `--bits` still adds codes. Large
 * collections get WIDE_DIMS int4 dims instead, the same 128 B (publishSettings.ts residentDims).
 */
export const DEFAULT_DIMS = 128;
export const WIDE_DIMS = 256;
export const DEFAULT_BITS = 0;
/**
 * A sharded index keeps 96 dims: its queries download the rows of the cells they probe, so a row's
 * bytes are a query's bytes (docs/index-format.md, the sharded layout).
 */
export const SHARDED_DIMS = 96;
export const DEFAULT_SEED = 0x6c6b6c6b;
/** Buckets are sized so a range-load of one bucket is a few KB (see bucketBitsFor). */
const ROWS_PER_BUCKET = 128;
const MAX_BUCKET_BITS = 16;

interface AssembleIndexOptions {
  modelId: string;
  dims?: number;
  bits?: number;
  seed?: number;
  transform?: TransformInputs;
  /** Blend each stored row with its nearest neighbours (neighbourBlend.ts); off when absent. */
  blend?: NeighbourBlendOptions;
  /** A transform to keep instead of fitting one (a rebuild that did not move it; transformFit.ts). */
  fitted?: VectorTransform;
  /**
   * With `fitted`: projectEmbedding of embeddings[i] under it, where the caller has it already
   * (projectionCache.ts); the rows are the same either way.
   */
  project?: (i: number) => Float64Array;
}

/**
 * The rows of a collection under its fitted transform: each embedding projected to a unit vector
 * (by `project` when given: the same vectors, already computed), optionally blended with its
 * neighbours (queries never are), then quantized to int8 or int4 values (`rowBits`).
 */
export function storedVectors(
  transform: VectorTransform,
  embeddings: Float32Array[],
  rowBits: RowBits,
  blend?: NeighbourBlendOptions,
  project: (i: number) => Float64Array = (i) => projectEmbedding(transform, embeddings[i]),
): Int8Array[] {
  let unit = embeddings.map((_, i) => project(i));
  if (blend !== undefined && blend.neighbours > 0) unit = neighbourBlend(unit, blend);
  return unit.map((u) => quantizeRow(u, transform.quantScale, rowBits));
}

/** Bucket bits for a collection: about ROWS_PER_BUCKET rows per bucket, 0 (one bucket) for small ones. */
export function bucketBitsFor(count: number): number {
  if (count <= ROWS_PER_BUCKET) return 0;
  return Math.min(MAX_BUCKET_BITS, Math.round(Math.log2(count / ROWS_PER_BUCKET)));
}

/**
 * Fits the transform on the collection, computes the rows (int8, or int4 above 128 dims) and LSH codes,
 * orders rows by bucket and encodes index v1 (v5 for int4 rows). order[row] = position in `embeddings`
 * (the catalog keeps album order: publishResident.ts maps each row to its catalog position).
 */
export async function assembleIndex(
  embeddings: Float32Array[],
  opts: AssembleIndexOptions,
): Promise<{ bytes: Uint8Array; order: number[] }> {
  const { modelId, dims = DEFAULT_DIMS, bits = DEFAULT_BITS, seed = DEFAULT_SEED } = opts;
  if (typeof modelId !== 'string' || modelId.length === 0)
    throw new Error('assembleIndex: modelId is required');
  const transform = opts.fitted ?? (await fitTransform(embeddings, { ...opts.transform, dims, seed }));
  const rowBits = rowBitsFor(transform.dims);
  const vectors = storedVectors(transform, embeddings, rowBits, opts.blend, opts.fitted && opts.project);
  return packIndex(vectors, transform, { modelId, bits, seed, rowBits });
}

/**
 * The second half of assembleIndex, for an already fitted transform and its rows (int8 unless
 * `rowBits` is 4): computes codes, orders rows by bucket and encodes. order[row] = position in `vectors`.
 */
export function packIndex(
  vectors: Int8Array[],
  transform: VectorTransform,
  opts: { modelId: string; bits?: number; seed?: number; rowBits?: RowBits },
): { bytes: Uint8Array; order: number[] } {
  const { modelId, bits = DEFAULT_BITS, seed = DEFAULT_SEED, rowBits = 8 } = opts;
  const count = vectors.length;
  const words = codeWords(bits);
  const planes = bits > 0 ? lshPlanes(seed, bits, transform.dims) : undefined;
  const codes = vectors.map((v) => (planes ? lshCode(planes, bits, v) : new Uint32Array(0)));

  const bucketBits = bits > 0 ? bucketBitsFor(count) : 0;
  const buckets = 2 ** bucketBits;
  const bucket = codes.map((c) => bucketOf(c, 0, bucketBits));
  const bucketOffsets = new Uint32Array(buckets + 1);
  for (const b of bucket) bucketOffsets[b + 1]++;
  for (let b = 0; b < buckets; b++) bucketOffsets[b + 1] += bucketOffsets[b];
  // Counting sort, stable: rows keep their input order within a bucket.
  const next = bucketOffsets.slice(0, buckets);
  const order = new Array<number>(count);
  bucket.forEach((b, i) => (order[next[b]++] = i));

  const packedCodes = new Uint32Array(count * words);
  const packedVectors = new Int8Array(count * transform.dims);
  order.forEach((src, row) => {
    packedCodes.set(codes[src], row * words);
    packedVectors.set(vectors[src], row * transform.dims);
  });
  const bytes = encodeIndex({
    modelId,
    transform,
    seed,
    bits,
    bucketBits,
    codes: packedCodes,
    vectors: packedVectors,
    rowBits,
    bucketOffsets,
  });
  return { bytes, order };
}
