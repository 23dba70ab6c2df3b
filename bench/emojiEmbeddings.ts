import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { featurize } from '../core/featurize';
import { sha256Hex } from '../core/sha256';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { EMOJI_VENDORS, decodeRgba, emojiImages, type EmojiVendor } from '../models/research/emojiDataset';
import { ensureDefaultModel } from '../models/ensureModel';

/** Embeddings of every emoji image (all vendors, skin variations included) under the default model. */
interface EmojiEmbeddings {
  modelId: string;
  dim: number;
  vendors: EmojiVendor[];
  unified: string[];
  /** n × dim, row-major, unit rows. */
  vectors: Float32Array;
}

const CACHE_DIR = path.join(import.meta.dirname, '..', 'generated', 'cache', 'emoji-embeddings');
const BATCH = 32;

/**
 * Featurizes the emoji sets once and caches the result under generated/cache/emoji-embeddings/, keyed
 * by the model file's hash, so benchmark reruns take seconds.
 */
export async function loadEmojiEmbeddings(log: (m: string) => void = console.log): Promise<EmojiEmbeddings> {
  const { onnxPath, spec } = await ensureDefaultModel();
  const modelHash = sha256Hex(readFileSync(onnxPath)).slice(0, 16);
  const base = path.join(CACHE_DIR, `${spec.id}.${modelHash}`);
  if (existsSync(`${base}.json`) && existsSync(`${base}.f32`)) {
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Omit<EmojiEmbeddings, 'vectors'>;
    const raw = readFileSync(`${base}.f32`);
    const vectors = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    if (vectors.length !== meta.unified.length * meta.dim)
      throw new Error(`${base}.f32 does not match its metadata`);
    return { ...meta, vectors };
  }
  const images = EMOJI_VENDORS.flatMap((v) => emojiImages(v));
  log(`featurizing ${images.length} emoji images with ${spec.id} (cached afterwards)…`);
  // One thread: the benchmark machine is shared; this runs once per model.
  const runner = await createOnnxModelRunner(onnxPath, spec, 1);
  const dim = spec.output.dim;
  const vectors = new Float32Array(images.length * dim);
  try {
    for (let i = 0; i < images.length; i += BATCH) {
      const batch = images.slice(i, i + BATCH);
      const rows = await featurize(runner, spec, await Promise.all(batch.map((im) => decodeRgba(im.file))));
      rows.forEach((r, j) => vectors.set(r, (i + j) * dim));
      if ((i / BATCH) % 20 === 0) log(`  ${i + batch.length}/${images.length}`);
    }
  } finally {
    await runner.release();
  }
  const result: EmojiEmbeddings = {
    modelId: spec.id,
    dim,
    vendors: images.map((im) => im.vendor),
    unified: images.map((im) => im.unified),
    vectors,
  };
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(`${base}.f32`, new Uint8Array(vectors.buffer));
  writeFileSync(
    `${base}.json`,
    JSON.stringify({ modelId: result.modelId, dim, vendors: result.vendors, unified: result.unified }),
  );
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const e = await loadEmojiEmbeddings();
  console.log(`${e.unified.length} emoji embeddings of dim ${e.dim} (${e.modelId})`);
}
