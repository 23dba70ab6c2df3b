import { featurize } from '../core/featurize';
import { compactVector } from '../core/vectorTransform';
import { DEFAULT_DIMS } from '../index-builder/assembleIndex';
import { fitTransform } from '../index-builder/fitTransform';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { EMOJI_VENDORS, decodeRgba, emojiImages, type EmojiVendor } from '../models/research/emojiDataset';
import { ensureDefaultModel } from '../models/ensureModel';
import { recallAtK } from '../models/research/retrievalRecall';
import { colourHistogram } from './colourHistogram';
import type { DevSetBenchResult } from './devSetBench';
import { loadEmojiEmbeddings } from './emojiEmbeddings';

interface QualityRow {
  method: string;
  bytesPerImage: number;
  /** Recall@10 with each vendor's images as queries against the other two vendors'. */
  byQueryVendor: Record<string, number>;
  mean: number;
}

export interface QualityResult {
  images: number;
  queriesPerVendor: Record<string, number>;
  modelId: string;
  rows: QualityRow[];
  /** The development sets (bench/devSetBench.ts) through the real builder and query path, or why not. */
  devSets?: DevSetBenchResult | { error: string };
}

const K = 10;

interface EmojiSet {
  modelId: string;
  dim: number;
  vendors: EmojiVendor[];
  unified: string[];
  files: string[];
  vectors: Float32Array;
}

/** `perVendor` emoji every vendor draws, featurized now (quick mode: no cache needed). */
async function smallSet(perVendor: number): Promise<EmojiSet> {
  const byVendor = EMOJI_VENDORS.map((v) => emojiImages(v));
  const common = byVendor
    .map((ims) => new Set(ims.map((im) => im.unified)))
    .reduce((a, b) => new Set([...a].filter((u) => b.has(u))));
  const shared = [...common].sort();
  const chosen = Array.from(
    { length: perVendor },
    (_, i) => shared[Math.floor((i * shared.length) / perVendor)],
  );
  const images = byVendor.flatMap((ims) => chosen.map((u) => ims.find((im) => im.unified === u)!));
  const { onnxPath, spec } = await ensureDefaultModel({ quiet: true });
  const runner = await createOnnxModelRunner(onnxPath, spec, 1);
  try {
    const rows = await featurize(runner, spec, await Promise.all(images.map((im) => decodeRgba(im.file))));
    const dim = spec.output.dim;
    const vectors = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => vectors.set(r, i * dim));
    return {
      modelId: spec.id,
      dim,
      vendors: images.map((im) => im.vendor),
      unified: images.map((im) => im.unified),
      files: images.map((im) => im.file),
      vectors,
    };
  } finally {
    await runner.release();
  }
}

/** Every emoji image of the demo, from the embedding cache (featurized once if missing). */
async function demoSet(log: (m: string) => void): Promise<EmojiSet> {
  const e = await loadEmojiEmbeddings(log);
  const files = new Map(
    EMOJI_VENDORS.flatMap((v) => emojiImages(v)).map((im) => [`${im.vendor} ${im.unified}`, im.file]),
  );
  return { ...e, files: e.unified.map((u, i) => files.get(`${e.vendors[i]} ${u}`)!) };
}

function rows(vectors: Float32Array, dim: number): Float32Array[] {
  return Array.from({ length: vectors.length / dim }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim));
}

function flat(rs: ArrayLike<number>[], dim: number): Float32Array {
  const out = new Float32Array(rs.length * dim);
  rs.forEach((r, i) => out.set(r, i * dim));
  return out;
}

/** Cross-vendor recall@10 of one representation, each vendor in turn as the queries. */
async function crossVendor(
  set: EmojiSet,
  vectors: Float32Array[],
  transformPerSplit?: (gallery: Float32Array[]) => Promise<(v: Float32Array) => Float32Array>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const qv of EMOJI_VENDORS) {
    const qi = set.vendors.flatMap((v, i) => (v === qv ? [i] : []));
    const gi = set.vendors.flatMap((v, i) => (v !== qv ? [i] : []));
    // The index is fitted on the collection (the gallery), as the builder does.
    const map = transformPerSplit
      ? await transformPerSplit(gi.map((i) => vectors[i]))
      : (v: Float32Array) => v;
    const q = qi.map((i) => map(vectors[i]));
    const g = gi.map((i) => map(vectors[i]));
    const dim = q[0].length;
    out[qv] = await recallAtK(
      { vectors: flat(q, dim), labels: qi.map((i) => set.unified[i]) },
      { vectors: flat(g, dim), labels: gi.map((i) => set.unified[i]) },
      dim,
      K,
    );
  }
  return out;
}

function row(method: string, bytesPerImage: number, byQueryVendor: Record<string, number>): QualityRow {
  const values = Object.values(byQueryVendor);
  return { method, bytesPerImage, byQueryVendor, mean: values.reduce((s, x) => s + x, 0) / values.length };
}

export async function qualityBench(quick: boolean, log: (m: string) => void): Promise<QualityResult> {
  const set = quick ? await smallSet(100) : await demoSet(log);
  const model = rows(set.vectors, set.dim);
  const histograms: Float32Array[] = [];
  for (const file of set.files) histograms.push(colourHistogram(await decodeRgba(file)));
  const int8 = async (gallery: Float32Array[]) => {
    const t = await fitTransform(gallery, { dims: DEFAULT_DIMS });
    return (v: Float32Array) => Float32Array.from(compactVector(t, v));
  };
  const result: QualityRow[] = [
    row(`${set.modelId}, float32 embedding`, 4 * set.dim, await crossVendor(set, model)),
    // Not the shipped rows (256 int4 dims, learned from edited copies: the development sets measure those).
    row(
      `${set.modelId}, int8 vector under a whitened PCA (exact scan)`,
      DEFAULT_DIMS,
      await crossVendor(set, model, int8),
    ),
    row('colour histogram 8×8×8 (baseline)', 4 * 512, await crossVendor(set, histograms)),
  ];
  const queriesPerVendor = Object.fromEntries(
    EMOJI_VENDORS.map((v) => [v, set.vendors.filter((x) => x === v).length]),
  );
  return { images: set.vendors.length, queriesPerVendor, modelId: set.modelId, rows: result };
}
