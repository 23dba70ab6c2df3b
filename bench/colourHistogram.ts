import type { RgbaImage } from '../core/rgbaImage';

/** Bins per channel of the baseline's joint RGB histogram (8³ = 512 bins). */
const BINS = 8;

/**
 * The classic content-based retrieval baseline: a joint RGB histogram of the opaque pixels (emoji sit
 * on transparency, which says nothing about them), square-rooted (Hellinger) and scaled to unit length
 * so that cosine compares it like the model's embeddings.
 */
export function colourHistogram(image: RgbaImage): Float32Array {
  const h = new Float32Array(BINS * BINS * BINS);
  const d = image.data;
  const shift = 8 - Math.log2(BINS);
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] < 128) continue;
    h[((d[i] >> shift) * BINS + (d[i + 1] >> shift)) * BINS + (d[i + 2] >> shift)]++;
  }
  let n2 = 0;
  for (let i = 0; i < h.length; i++) {
    h[i] = Math.sqrt(h[i]);
    n2 += h[i] * h[i];
  }
  const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
  for (let i = 0; i < h.length; i++) h[i] *= inv;
  return h;
}
