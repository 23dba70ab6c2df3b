import type { ModelSpec } from './modelSpec';
import { assertRgbaImage, type RgbaImage } from './rgbaImage';

/*
 * The single definition of how pixels become a model input, shared by the index builder (Node) and the
 * browser worker. Everything is plain arithmetic on IEEE doubles stored into Float32Arrays (no canvas, no
 * fused multiply-add, no Math.* transcendental functions), so every JS engine produces identical floats.
 *
 * Steps: composite alpha over white → resize with a separable triangle filter whose support grows with
 * the downscale factor (Pillow's BILINEAR, without its uint8 rounding) → fit → (v*scale - mean)/std.
 */

type ModelInput = ModelSpec['input'];

/** A source rectangle in continuous pixel coordinates (pixel i covers [i, i+1)). */
interface SourceBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Per-output-pixel filter taps along one axis: taps for output o are weights[o*maxTaps ..] from start[o]. */
interface AxisFilter {
  start: Int32Array;
  count: Int32Array;
  maxTaps: number;
  weights: Float64Array;
}

function triangle(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

// Mirrors Pillow's precompute_coeffs for the bilinear filter (support 1), including its use of pixels
// outside the box (clamped to the image), so cropping a box equals resizing the whole image then cropping.
function axisFilter(inSize: number, outSize: number, in0: number, in1: number): AxisFilter {
  const scale = (in1 - in0) / outSize;
  const filterScale = scale > 1 ? scale : 1;
  const support = filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  const invFilterScale = 1 / filterScale;
  for (let o = 0; o < outSize; o++) {
    const center = in0 + (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let n = hi - lo;
    if (n > maxTaps) n = maxTaps;
    let total = 0;
    for (let t = 0; t < n; t++) {
      const w = triangle((t + lo - center + 0.5) * invFilterScale);
      weights[o * maxTaps + t] = w;
      total += w;
    }
    if (total > 0) {
      for (let t = 0; t < n; t++) weights[o * maxTaps + t] /= total;
    } else {
      // Only reachable for a box outside the image; use the nearest edge pixel rather than black.
      n = 1;
      weights[o * maxTaps] = 1;
    }
    start[o] = total > 0 ? lo : Math.min(Math.max(Math.floor(center), 0), inSize - 1);
    count[o] = n;
  }
  return { start, count, maxTaps, weights };
}

/**
 * Resamples `box` of the image to outW×outH, compositing alpha over white.
 * Returns interleaved RGB floats in 0..255, row-major (outW*outH*3).
 */
function resampleRgb(image: RgbaImage, box: SourceBox, outW: number, outH: number): Float32Array {
  const { width: w, height: h, data } = image;
  const fx = axisFilter(w, outW, box.x0, box.x1);
  const fy = axisFilter(h, outH, box.y0, box.y1);

  // Only the source rows and columns that some tap touches are read.
  const rowLo = fy.start[0];
  const rowHi = fy.start[outH - 1] + fy.count[outH - 1];
  const colLo = fx.start[0];
  const colHi = fx.start[outW - 1] + fx.count[outW - 1];

  const row = new Float64Array((colHi - colLo) * 3);
  const mid = new Float32Array((rowHi - rowLo) * outW * 3);
  for (let y = rowLo; y < rowHi; y++) {
    let p = (y * w + colLo) * 4;
    for (let i = 0; i < row.length; i += 3, p += 4) {
      const transparency = (255 - data[p + 3]) / 255;
      const r = data[p];
      const g = data[p + 1];
      const b = data[p + 2];
      row[i] = r + (255 - r) * transparency;
      row[i + 1] = g + (255 - g) * transparency;
      row[i + 2] = b + (255 - b) * transparency;
    }
    let m = (y - rowLo) * outW * 3;
    for (let x = 0; x < outW; x++, m += 3) {
      const n = fx.count[x];
      const k0 = x * fx.maxTaps;
      let s = (fx.start[x] - colLo) * 3;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0; t < n; t++, s += 3) {
        const wt = fx.weights[k0 + t];
        r += row[s] * wt;
        g += row[s + 1] * wt;
        b += row[s + 2] * wt;
      }
      mid[m] = r;
      mid[m + 1] = g;
      mid[m + 2] = b;
    }
  }

  const out = new Float32Array(outW * outH * 3);
  const midStride = outW * 3;
  const acc = new Float64Array(midStride);
  for (let y = 0; y < outH; y++) {
    acc.fill(0);
    const n = fy.count[y];
    const k0 = y * fy.maxTaps;
    for (let t = 0; t < n; t++) {
      const wt = fy.weights[k0 + t];
      const base = (fy.start[y] + t - rowLo) * midStride;
      for (let i = 0; i < midStride; i++) acc[i] += mid[base + i] * wt;
    }
    out.set(acc, y * midStride);
  }
  return out;
}

/** The model-input-sized RGB canvas (0..255) for one image, after fit and resize. */
function fitRgb(image: RgbaImage, input: ModelInput): Float32Array {
  const W = input.width;
  const H = input.height;
  const { width: w, height: h } = image;
  switch (input.fit) {
    case 'stretch':
      return resampleRgb(image, { x0: 0, y0: 0, x1: w, y1: h }, W, H);
    case 'center-crop': {
      // Scale so the image covers (W, H)/cropFraction, then keep the centred W×H window.
      const s = Math.max(W / w, H / h) / input.cropFraction;
      const bw = W / s;
      const bh = H / s;
      const x0 = (w - bw) / 2;
      const y0 = (h - bh) / 2;
      return resampleRgb(image, { x0, y0, x1: x0 + bw, y1: y0 + bh }, W, H);
    }
    case 'letterbox': {
      const s = Math.min(W / w, H / h);
      const rw = Math.min(W, Math.max(1, Math.round(w * s)));
      const rh = Math.min(H, Math.max(1, Math.round(h * s)));
      const inner = resampleRgb(image, { x0: 0, y0: 0, x1: w, y1: h }, rw, rh);
      const out = new Float32Array(W * H * 3).fill(255);
      const ox = Math.floor((W - rw) / 2);
      const oy = Math.floor((H - rh) / 2);
      for (let y = 0; y < rh; y++)
        out.set(inner.subarray(y * rw * 3, (y + 1) * rw * 3), ((y + oy) * W + ox) * 3);
      return out;
    }
    default:
      throw new Error(`preprocess: unknown fit ${JSON.stringify((input as { fit: unknown }).fit)}`);
  }
}

function preprocessInto(image: RgbaImage, input: ModelInput, out: Float32Array, offset: number): void {
  const rgb = fitRgb(image, input);
  const plane = input.width * input.height;
  const { scale } = input;
  for (let c = 0; c < 3; c++) {
    const mean = input.mean[c];
    const std = input.std[c];
    if (input.layout === 'NCHW') {
      const o = offset + c * plane;
      for (let i = 0; i < plane; i++) out[o + i] = (rgb[i * 3 + c] * scale - mean) / std;
    } else {
      for (let i = 0; i < plane; i++) out[offset + i * 3 + c] = (rgb[i * 3 + c] * scale - mean) / std;
    }
  }
}

function assertInput(input: ModelInput): void {
  if (
    !Number.isInteger(input.width) ||
    input.width <= 0 ||
    !Number.isInteger(input.height) ||
    input.height <= 0
  ) {
    throw new Error(
      `preprocess: model input size must be positive integers, got ${input.width}×${input.height}`,
    );
  }
  if (!(input.cropFraction > 0 && input.cropFraction <= 1)) {
    throw new Error(`preprocess: cropFraction must be in (0, 1], got ${input.cropFraction}`);
  }
  if (input.layout !== 'NCHW' && input.layout !== 'NHWC') {
    throw new Error(`preprocess: unknown layout ${JSON.stringify(input.layout)}`);
  }
}

/** One image as a model input: 3×H×W (NCHW) or H×W×3 (NHWC) floats. */
export function preprocess(image: RgbaImage, input: ModelInput): Float32Array {
  return preprocessBatch([image], input);
}

/** N images stacked along the batch axis, in the spec's layout. */
export function preprocessBatch(images: RgbaImage[], input: ModelInput): Float32Array {
  assertInput(input);
  if (images.length === 0) throw new Error('preprocess: no images given');
  images.forEach((image, i) => assertRgbaImage(image, `preprocess: image ${i}`));
  const size = 3 * input.width * input.height;
  const out = new Float32Array(images.length * size);
  images.forEach((image, i) => preprocessInto(image, input, out, i * size));
  return out;
}
