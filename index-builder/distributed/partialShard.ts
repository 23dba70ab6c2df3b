import { createHash } from 'node:crypto';
import { ORIGINAL_EXTENSIONS } from '../../storage/dataDirNames';
import type { BuildSkipReason, SkippedFile } from '../buildReport';

/*
 * What one job of a distributed build hands to the coordinator (docs/distributed-build.md):
 *
 *   0   8 bytes  magic "LKSHARD\n"
 *   8   u32 LE   format version (2)
 *   12  u32 LE   header length H
 *   16  H bytes  header, UTF-8 JSON: buildId, jobId, modelSha256, dim, images (key, hash, width,
 *                height, ext, views; in job order), skipped (key, reason, message)
 *       0–3      zero bytes, so the embeddings start at a multiple of 4
 *       n×dim    float32 LE embeddings, row i belongs to images[i]
 *       v×dim    float32 LE embeddings of the images' edited copies (augmentedViews.ts), images[0]'s
 *                `views` rows first, then images[1]'s, …
 *       32 bytes SHA-256 of everything before it
 *
 * Nothing in it depends on timing or on which worker ran the job, so a re-run job writes the same bytes.
 */

const MAGIC = Buffer.from('LKSHARD\n', 'latin1');
export const PARTIAL_SHARD_VERSION = 2;
const FIXED_BYTES = MAGIC.length + 8;
const CHECKSUM_BYTES = 32;

interface ShardImage {
  /** `album/path` of the source entry. */
  key: string;
  /** SHA-256 of the file's bytes, lowercase hex. */
  hash: string;
  width: number;
  height: number;
  /** Extension of `originals/<hash16>.<ext>`. */
  ext: string;
  embedding: Float32Array;
  /** Embeddings of edited copies, when the build's augment plan picked this image. */
  views?: Float32Array[];
}

export interface PartialShard {
  buildId: string;
  jobId: string;
  /** The model file the embeddings came from. */
  modelSha256: string;
  dim: number;
  images: ShardImage[];
  skipped: SkippedFile[];
}

type ShardHeader = Omit<PartialShard, 'images'> & {
  images: (Omit<ShardImage, 'embedding' | 'views'> & { views: number })[];
};

export class PartialShardError extends Error {
  constructor(name: string, problem: string) {
    super(`partial shard ${name}: ${problem}`);
    this.name = 'PartialShardError';
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export function encodePartialShard(shard: PartialShard): Uint8Array {
  const { images, dim } = shard;
  for (const im of images) {
    for (const e of [im.embedding, ...(im.views ?? [])]) {
      if (e.length !== dim) {
        throw new Error(`embedding of ${im.key} has ${e.length} values, the shard holds ${dim}`);
      }
    }
  }
  const header: ShardHeader = {
    buildId: shard.buildId,
    jobId: shard.jobId,
    modelSha256: shard.modelSha256,
    dim,
    images: images.map(({ key, hash, width, height, ext, views }) => ({
      key,
      hash,
      width,
      height,
      ext,
      views: views?.length ?? 0,
    })),
    skipped: shard.skipped.map(({ key, reason, message }) => ({ key, reason, message })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const vectorsAt = FIXED_BYTES + json.length + ((4 - (json.length % 4)) % 4);
  const rows = images.reduce((n, im) => n + 1 + (im.views?.length ?? 0), 0);
  const out = Buffer.alloc(vectorsAt + rows * dim * 4 + CHECKSUM_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(PARTIAL_SHARD_VERSION, MAGIC.length);
  out.writeUInt32LE(json.length, MAGIC.length + 4);
  json.copy(out, FIXED_BYTES);
  let at = vectorsAt;
  for (const row of [...images.map((im) => im.embedding), ...images.flatMap((im) => im.views ?? [])]) {
    for (let j = 0; j < dim; j++, at += 4) out.writeFloatLE(row[j], at);
  }
  sha256(out.subarray(0, at)).copy(out, at);
  return out;
}

// A Record, so that a new skip reason does not compile until the reader accepts it too.
const SKIP_REASONS: Record<BuildSkipReason, true> = {
  empty: true,
  corrupt: true,
  unsupported: true,
  'too-large': true,
  unreadable: true,
  'read-failed': true,
  'not-rasterisable': true,
  'duplicate-key': true,
  'featurize-failed': true,
  'outside-source': true,
  'symlink-loop': true,
  'linked-twice': true,
  'unreadable-folder': true,
  'bad-key': true,
  'build-output': true,
};

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function checkHeader(value: unknown, fail: (problem: string) => never): ShardHeader {
  const h = value as Partial<ShardHeader> | null;
  if (h === null || typeof h !== 'object') fail('header is not an object');
  for (const field of ['buildId', 'jobId', 'modelSha256'] as const) {
    if (typeof h[field] !== 'string') fail(`header field ${field} is missing`);
  }
  if (!isCount(h.dim) || h.dim === 0) fail(`header field dim must be a positive integer`);
  if (!Array.isArray(h.images) || !Array.isArray(h.skipped)) fail('header lacks images or skipped');
  h.images.forEach((im, i) => {
    const ok =
      typeof im?.key === 'string' &&
      typeof im.hash === 'string' &&
      /^[0-9a-f]{64}$/.test(im.hash) &&
      isCount(im.width) &&
      isCount(im.height) &&
      ORIGINAL_EXTENSIONS.includes(im.ext as string) &&
      isCount(im.views);
    if (!ok) fail(`image ${i} is not {key, hash (64 hex), width, height, ext (of an original), views}`);
  });
  h.skipped.forEach((s, i) => {
    const ok =
      typeof s?.key === 'string' && Object.hasOwn(SKIP_REASONS, s.reason) && typeof s.message === 'string';
    if (!ok) fail(`skipped file ${i} is not {key, reason, message} with a known reason`);
  });
  return h as ShardHeader;
}

/** Reads a shard written by encodePartialShard; throws PartialShardError saying what is wrong. */
export function decodePartialShard(bytes: Uint8Array, name: string): PartialShard {
  const fail = (problem: string): never => {
    throw new PartialShardError(name, problem);
  };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < FIXED_BYTES + CHECKSUM_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    fail(`not a partial shard (${buf.length} bytes, no LKSHARD magic)`);
  }
  const version = buf.readUInt32LE(MAGIC.length);
  if (version !== PARTIAL_SHARD_VERSION) {
    fail(`format version ${version}; this builder reads version ${PARTIAL_SHARD_VERSION}`);
  }
  const body = buf.subarray(0, buf.length - CHECKSUM_BYTES);
  if (!sha256(body).equals(buf.subarray(body.length))) {
    fail('checksum mismatch: the file is truncated or corrupt');
  }
  const jsonLength = buf.readUInt32LE(MAGIC.length + 4);
  if (FIXED_BYTES + jsonLength > body.length) fail(`header length ${jsonLength} runs past the end`);
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8', FIXED_BYTES, FIXED_BYTES + jsonLength));
  } catch (err) {
    fail(`header is not JSON: ${(err as Error).message}`);
  }
  const header = checkHeader(json, fail);
  const vectorsAt = FIXED_BYTES + jsonLength + ((4 - (jsonLength % 4)) % 4);
  const rows = header.images.reduce((n, im) => n + 1 + im.views, 0);
  const expected = vectorsAt + rows * header.dim * 4;
  if (body.length !== expected) {
    fail(`${body.length} bytes before the checksum, expected ${expected} for ${header.images.length} images`);
  }
  let at = vectorsAt;
  const row = () => {
    const embedding = new Float32Array(header.dim);
    for (let j = 0; j < header.dim; j++, at += 4) embedding[j] = buf.readFloatLE(at);
    return embedding;
  };
  const embeddings = header.images.map(row);
  const images = header.images.map(({ views, ...im }, i) => {
    const image: ShardImage = { ...im, embedding: embeddings[i] };
    if (views > 0) image.views = Array.from({ length: views }, row);
    return image;
  });
  return { ...header, images };
}
