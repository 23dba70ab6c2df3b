import * as ort from 'onnxruntime-node';
import type { RgbaImage } from '../../core/rgbaImage';
import { kerasToOnnx, type WeightEncoding } from '../kerasToOnnx';
import type { NsfwjsModel } from '../nsfwjsModel';
import { decodeRgba, emojiImages, type EmojiVendor } from './emojiDataset';

/* Helpers to compare converted ONNX activations with TF.js's (see ../conversion.test.ts, parityReport.ts). */

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

/** Splits a flat N×dim array into N row views. */
export function rows(flat: Float32Array, n: number): Float32Array[] {
  const dim = flat.length / n;
  return Array.from({ length: n }, (_, i) => flat.subarray(i * dim, (i + 1) * dim));
}

/** The smallest per-row cosine between two flat N×dim arrays. */
export function minRowCosine(a: Float32Array, b: Float32Array, n: number): number {
  const ra = rows(a, n);
  const rb = rows(b, n);
  return Math.min(...ra.map((r, i) => cosine(r, rb[i])));
}

/**
 * What an 'embedding' graph computes from pooled layer activations: each layer's rows L2-normalised,
 * concatenated, then normalised again. `parts[k]` is the flat N×dim_k array of layer k.
 */
export function embeddingFromPooled(parts: Float32Array[], n: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => {
    const pieces = parts.map((p) => {
      const row = Float32Array.from(rows(p, n)[i]);
      const len = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
      return row.map((v) => v / len);
    });
    const joined = new Float32Array(pieces.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      joined.set(p, at);
      at += p.length;
    }
    const len = Math.sqrt(joined.reduce((s, v) => s + v * v, 0));
    return joined.map((v) => v / len);
  });
}

/** Fixture images: emoji PNGs from the emoji-datasource packages, decoded to RGBA. */
export function emojiFixtures(picks: [vendor: EmojiVendor, unified: string][]): Promise<RgbaImage[]> {
  return Promise.all(
    picks.map(async ([vendor, unified]) => {
      const item = emojiImages(vendor).find((e) => e.unified === unified);
      if (!item) throw new Error(`fixture emoji ${vendor} ${unified} missing`);
      return decodeRgba(item.file);
    }),
  );
}

/** Pooled activations of `layers` (one flat N×dim array each) from a freshly converted ONNX model. */
export async function onnxPooled(
  model: NsfwjsModel,
  layers: string[],
  weights: WeightEncoding,
  x: Float32Array,
  dims: number[],
): Promise<Float32Array[]> {
  const converted = kerasToOnnx(model.topology, model.weights, { layers, output: 'pooled', weights });
  const session = await ort.InferenceSession.create(converted.onnx, { intraOpNumThreads: 1 });
  const out = await session.run({ [converted.inputName]: new ort.Tensor('float32', x, dims) });
  await session.release();
  return converted.outputs.map((o) => out[o.name].data as Float32Array);
}
