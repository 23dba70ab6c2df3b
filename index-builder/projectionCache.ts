import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  centredEmbedding,
  normalised,
  projectEmbedding,
  type VectorTransform,
} from '../core/vectorTransform';
import { contentHash } from './contentAddress';
import { dense, product } from './denseKernels';

/*
 * The projected unit vectors of a data dir's images under its transform, kept for the next build
 * (issue 15: a rebuild that keeps the transform should cost what it adds). Projecting an embedding
 * (the model's values → dims) is the rebuild's largest cost once the transform is kept: once for the
 * drift measurement, once for the stored rows. The vectors are stored exactly (float64), so a row built
 * from this file is bit for bit the row the build that wrote it made; the blend and quantization still
 * run on them.
 *
 * projections.bin sits next to the manifest, private like transform-fit.json (never deployed) and
 * rewritten whole by each build with its own images only. Layout (little-endian, docs/index-format.md):
 *   "LKPROJ01"                     8 bytes: magic and version
 *   dims                           uint32
 *   count                          uint32
 *   key                            32 bytes: sha256 of the fit key and the transform (transformKeyOf)
 *   count × (16-byte content-hash prefix, dims × float64)
 *   sha256 of everything above     32 bytes
 * A file whose magic, size, checksum or key does not match is ignored: everything is projected again.
 */

export const PROJECTIONS_FILE = 'projections.bin';
const MAGIC = Buffer.from('LKPROJ01', 'latin1');
const HEADER_BYTES = MAGIC.length + 8 + 32;
const KEY_BYTES = 16;
const DIGEST_BYTES = 32;
/** Rows per product in prepare(): 2048 × 2280 float64 values are 37 MB. */
const PREPARE_ROWS = 2048;

/**
 * What the vectors are valid for: the fit key (model bytes and fit settings, transformFit.ts's
 * fitKeyFor) and every number of the transform. Another model or transform never reads them.
 */
export function transformKeyOf(fitKey: string, t: VectorTransform): Buffer {
  const shape = new Float64Array([t.inputDim, t.dims, t.quantScale]);
  const bytes = Buffer.concat([
    Buffer.from(`${fitKey}\n`, 'utf8'),
    Buffer.from(shape.buffer),
    Buffer.from(t.mean.buffer, t.mean.byteOffset, t.mean.byteLength),
    Buffer.from(t.projection.buffer, t.projection.byteOffset, t.projection.byteLength),
  ]);
  return Buffer.from(contentHash(bytes), 'hex');
}

/** Hex of the first KEY_BYTES of a content hash: the same key the embedding cache uses. */
function keyOf(hash: string): string {
  const key = hash.slice(0, 2 * KEY_BYTES).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(key)) throw new Error(`content hash must be hex, got ${hash}`);
  return key;
}

/**
 * Projections under one transform: read from the previous build's file where it has them, computed
 * otherwise. Remembers every vector handed out, which is what encode() writes for the next build.
 */
export class Projections {
  private readonly used = new Map<string, Float64Array>();
  /** Computed by prepare(), not handed out yet. */
  private readonly prepared = new Map<string, Float64Array>();
  /** Vectors computed here, not found in the file (for the build report and tests). */
  computed = 0;

  constructor(
    readonly transform: VectorTransform,
    /** transformKeyOf the fit key and transform: what the vectors are valid for. */
    readonly key: Buffer,
    private readonly known: ReadonlyMap<string, Float64Array> = new Map(),
  ) {}

  /**
   * The unit vector projectEmbedding gives for this image's embedding (prepare's, if it made it). Do
   * not modify it.
   */
  of(hash: string, embedding: Float32Array): Float64Array {
    const key = keyOf(hash);
    let v = this.used.get(key) ?? this.known.get(key) ?? this.prepared.get(key);
    if (v === undefined) {
      v = projectEmbedding(this.transform, embedding);
      this.computed++;
    }
    this.used.set(key, v);
    return v;
  }

  /**
   * Projects every embedding whose vector is not known yet, PREPARE_ROWS at a time through the float64
   * product (onnxruntime's Gemm on every core), for the `of` calls that follow: one projectEmbedding per
   * row in JS took about 10 s of a fresh demo build (11,355 rows of 2280 values into 256 dims). The
   * vectors equal projectEmbedding's but for float64 rounding (the sums run in another order).
   */
  async prepare(hashes: readonly string[], embeddings: readonly Float32Array[]): Promise<void> {
    const { inputDim, dims, projection } = this.transform;
    const todo: number[] = [];
    const seen = new Set<string>();
    hashes.forEach((hash, i) => {
      const key = keyOf(hash);
      if (seen.has(key) || this.used.has(key) || this.known.has(key) || this.prepared.has(key)) return;
      seen.add(key);
      todo.push(i);
    });
    if (todo.length === 0) return;
    const components = dense(Float64Array.from(projection), dims, inputDim);
    for (let start = 0; start < todo.length; start += PREPARE_ROWS) {
      const block = todo.slice(start, start + PREPARE_ROWS);
      const centred = new Float64Array(block.length * inputDim);
      block.forEach((i, r) => centred.set(centredEmbedding(this.transform, embeddings[i]), r * inputDim));
      const projected = await product(dense(centred, block.length, inputDim), components, { transB: true });
      block.forEach((i, r) => {
        this.prepared.set(keyOf(hashes[i]), normalised(projected.data.slice(r * dims, (r + 1) * dims)));
        this.computed++;
      });
    }
  }

  /** The file for the next build: the vectors handed out, sorted by key. */
  encode(): Uint8Array {
    const { dims } = this.transform;
    const keys = [...this.used.keys()].sort();
    const recordBytes = KEY_BYTES + 8 * dims;
    const out = Buffer.alloc(HEADER_BYTES + keys.length * recordBytes + DIGEST_BYTES);
    MAGIC.copy(out, 0);
    out.writeUInt32LE(dims, MAGIC.length);
    out.writeUInt32LE(keys.length, MAGIC.length + 4);
    this.key.copy(out, MAGIC.length + 8);
    keys.forEach((key, i) => {
      const at = HEADER_BYTES + i * recordBytes;
      out.write(key, at, 'hex');
      const v = this.used.get(key) as Float64Array;
      Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(out, at + KEY_BYTES);
    });
    const body = out.subarray(0, out.length - DIGEST_BYTES);
    Buffer.from(contentHash(body), 'hex').copy(out, body.length);
    return out;
  }
}

/**
 * The vectors of `bytes` if it is a whole, intact projections file for this key and dims; undefined
 * for anything else (another transform, a truncated or damaged file).
 */
export function decodeProjections(
  bytes: Uint8Array,
  key: Buffer,
  dims: number,
): Map<string, Float64Array> | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < HEADER_BYTES + DIGEST_BYTES || !b.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const recordBytes = KEY_BYTES + 8 * dims;
  const count = b.readUInt32LE(MAGIC.length + 4);
  if (b.readUInt32LE(MAGIC.length) !== dims) return undefined;
  if (b.length !== HEADER_BYTES + count * recordBytes + DIGEST_BYTES) return undefined;
  if (!b.subarray(MAGIC.length + 8, HEADER_BYTES).equals(key)) return undefined;
  const body = b.subarray(0, b.length - DIGEST_BYTES);
  if (contentHash(body) !== b.toString('hex', body.length)) return undefined;
  const vectors = new Map<string, Float64Array>();
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * recordBytes;
    const v = new Float64Array(dims);
    // Copied: the file buffer need not be 8-byte aligned.
    new Uint8Array(v.buffer).set(b.subarray(at + KEY_BYTES, at + recordBytes));
    vectors.set(b.toString('hex', at, at + KEY_BYTES), v);
  }
  return vectors;
}

/** Projections under `transform`, seeded from the data dir's file when it was written for it. */
export async function openProjections(
  dataDir: string,
  fitKey: string,
  transform: VectorTransform,
): Promise<Projections> {
  const key = transformKeyOf(fitKey, transform);
  const bytes = await readFile(join(dataDir, PROJECTIONS_FILE)).catch(() => undefined);
  const known = bytes === undefined ? undefined : decodeProjections(bytes, key, transform.dims);
  return new Projections(transform, key, known);
}

/** Projections under a transform with no file behind it yet (a new fit). */
export function freshProjections(fitKey: string, transform: VectorTransform): Projections {
  return new Projections(transform, transformKeyOf(fitKey, transform));
}
