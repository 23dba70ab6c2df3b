import { readFile } from 'node:fs/promises';
import { contentHash } from '../index-builder/contentAddress';

/*
 * <model>.style-pairs.bin, next to a model's spec (docs/model.md#shipped-style-pairs): what the same emoji
 * drawn by two vendors outside every collection we measure on varies by, in the model's embedding,
 * for the index builder's learned whitening. Private to the builder (never deployed). Little-endian:
 *   "LKSTYP01"; dim, pairs, recipe (uint32 each); sha256 of the ONNX model the rows come from (32 bytes)
 *   pairs × dim float32: (a − b) / √2 for each pair's two embeddings, so that a row's outer product is
 *     the pair's scatter about its mean
 *   sha256 of everything above (32 bytes)
 */

const MAGIC = Buffer.from('LKSTYP01', 'latin1');
const HEADER_BYTES = MAGIC.length + 12 + 32;
const CHECKSUM_BYTES = 32;

export interface StylePairs {
  dim: number;
  /** pairs × dim, row-major: one row per pair, (a − b) / √2. */
  rows: Float32Array;
  /** Which preparation of the reference art made them (stylePairs.ts STYLE_PAIRS_RECIPE). */
  recipe: number;
  /** Hex sha256 of the model file the rows were featurized by. */
  modelSha256: string;
  /** Hex sha256 of the whole file: what a fit learned from, in its key. */
  sha256: string;
}

export function stylePairsCount(p: StylePairs): number {
  return p.rows.length / p.dim;
}

/** The file's bytes for pair embeddings `a[i]`, `b[i]` (one pair per index) of the model `modelSha256`. */
export function encodeStylePairs(
  a: readonly Float32Array[],
  b: readonly Float32Array[],
  modelSha256: string,
  recipe: number,
): Buffer {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError(`style pairs: ${a.length} and ${b.length} embeddings (one pair each, at least one)`);
  const dim = a[0].length;
  if (!/^[0-9a-f]{64}$/.test(modelSha256)) throw new RangeError('style pairs: modelSha256 must be 64 hex');
  const rows = new Float32Array(a.length * dim);
  a.forEach((x, i) => {
    const y = b[i];
    if (x.length !== dim || y.length !== dim)
      throw new RangeError(`style pairs: pair ${i} has ${x.length} and ${y.length} dims, not ${dim}`);
    for (let j = 0; j < dim; j++) rows[i * dim + j] = (x[j] - y[j]) / Math.SQRT2;
  });
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(dim, 8);
  header.writeUInt32LE(a.length, 12);
  header.writeUInt32LE(recipe, 16);
  Buffer.from(modelSha256, 'hex').copy(header, 20);
  const body = Buffer.concat([header, Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength)]);
  return Buffer.concat([body, Buffer.from(contentHash(body), 'hex')]);
}

/** Parses and checks a style-pairs file; throws a RangeError that says what is wrong with it. */
export function decodeStylePairs(bytes: Uint8Array, name = 'style pairs'): StylePairs {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES + CHECKSUM_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    throw new RangeError(`${name}: not a style-pairs file (version 1)`);
  const dim = buf.readUInt32LE(8);
  const pairs = buf.readUInt32LE(12);
  if (dim === 0 || pairs === 0 || buf.length !== HEADER_BYTES + dim * pairs * 4 + CHECKSUM_BYTES)
    throw new RangeError(`${name}: ${buf.length} bytes do not hold ${pairs} pairs of ${dim} dims`);
  const body = buf.subarray(0, buf.length - CHECKSUM_BYTES);
  if (contentHash(body) !== buf.subarray(body.length).toString('hex'))
    throw new RangeError(`${name}: checksum mismatch (damaged file)`);
  // Copied out, so the rows are aligned whatever offset the bytes had.
  const rows = new Float32Array(dim * pairs);
  Buffer.from(rows.buffer).set(buf.subarray(HEADER_BYTES, HEADER_BYTES + rows.byteLength));
  return {
    dim,
    rows,
    recipe: buf.readUInt32LE(16),
    modelSha256: buf.subarray(20, 52).toString('hex'),
    sha256: contentHash(buf),
  };
}

/** The style pairs in `file`, or undefined when there is no such file. */
export async function readStylePairs(file: string): Promise<StylePairs | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return decodeStylePairs(bytes, file);
}

/** Where a model's style pairs sit: next to its spec, `<spec without .json>.style-pairs.bin`. */
export function stylePairsFileFor(specPath: string): string {
  return `${specPath.replace(/\.json$/, '')}.style-pairs.bin`;
}
