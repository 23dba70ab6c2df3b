import type { ModelSpec } from './modelSpec';
import { assertRgbaImage, type RgbaImage } from './rgbaImage';

/*
 * The single definition of how pixels become a model input, shared by the index builder (Node) and the
 * browser worker. Everything is plain arithmetic on IEEE doubles stored into Float32Arrays (no canvas, no
 * fused multiply-add, no Math.* transcendental functions), so every JS engine produces identical floats.
 *
 * Steps: composite alpha over white → resize with a separable triangle filter whose support grows with
 * the downscale factor (Pillow's BILINEAR, without its uint8 rounding) → fit (framing the subject of an
 * image with transparent margins first, when the spec asks) → (v*scale - mean)/std.
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

/** Where the resampled image lands in the model input, and how a channel value becomes a model value. */
interface Placement {
  out: Float32Array;
  offset: number;
  /** Model input size. */
  width: number;
  height: number;
  /** Top-left of the resampled rectangle inside the input (letterbox), else 0. */
  ox: number;
  oy: number;
  /** NCHW: channel stride = width·height, pixel stride 1; NHWC: channel stride 1, pixel stride 3. */
  channelStride: number;
  pixelStride: number;
  scale: number;
  mean: readonly number[];
  std: readonly number[];
}

/**
 * Resamples `box` of the image to outW×outH, compositing alpha over white, and writes each value
 * v (0..255, rounded to float32) as (v·scale − mean)/std straight into the model input. The two passes
 * accumulate in doubles in tap order, so every engine computes the same floats.
 */
function resampleInto(image: RgbaImage, box: SourceBox, outW: number, outH: number, at: Placement): void {
  const { width: w, data } = image;
  const fx = axisFilter(w, outW, box.x0, box.x1);
  const fy = axisFilter(image.height, outH, box.y0, box.y1);

  // Only the source rows and columns that some tap touches are read.
  const rowLo = fy.start[0];
  const rowHi = fy.start[outH - 1] + fy.count[outH - 1];
  const colLo = fx.start[0];
  const colHi = fx.start[outW - 1] + fx.count[outW - 1];

  // Horizontal pass: source rows → mid, (rowHi − rowLo) × outW × 3, float32.
  const row = new Float64Array((colHi - colLo) * 3);
  const mid = new Float32Array((rowHi - rowLo) * outW * 3);
  const { start: xStart, count: xCount, weights: xWeights, maxTaps: xTaps } = fx;
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
      const n = xCount[x];
      const k0 = x * xTaps;
      let s = (xStart[x] - colLo) * 3;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0; t < n; t++, s += 3) {
        const wt = xWeights[k0 + t];
        r += row[s] * wt;
        g += row[s + 1] * wt;
        b += row[s + 2] * wt;
      }
      mid[m] = r;
      mid[m + 1] = g;
      mid[m + 2] = b;
    }
  }

  // Vertical pass, written through the channel normalisation into the model input.
  const { out, offset, width: W, channelStride: cs, pixelStride: ps, scale } = at;
  const [mean0, mean1, mean2] = at.mean;
  const [std0, std1, std2] = at.std;
  const midStride = outW * 3;
  const { start: yStart, count: yCount, weights: yWeights, maxTaps: yTaps } = fy;
  for (let y = 0; y < outH; y++) {
    const n = yCount[y];
    const k0 = y * yTaps;
    const base0 = (yStart[y] - rowLo) * midStride;
    let o = offset + ((y + at.oy) * W + at.ox) * ps;
    for (let i = 0; i < midStride; i += 3, o += ps) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0, m = base0 + i; t < n; t++, m += midStride) {
        const wt = yWeights[k0 + t];
        r += mid[m] * wt;
        g += mid[m + 1] * wt;
        b += mid[m + 2] * wt;
      }
      out[o] = (Math.fround(r) * scale - mean0) / std0;
      out[o + cs] = (Math.fround(g) * scale - mean1) / std1;
      out[o + 2 * cs] = (Math.fround(b) * scale - mean2) / std2;
    }
  }
}

/** Fills the whole input with white (letterbox margins), normalised like every other value. */
function fillWhite(at: Placement): void {
  const plane = at.width * at.height;
  for (let c = 0; c < 3; c++) {
    const v = (255 * at.scale - at.mean[c]) / at.std[c];
    for (let i = 0; i < plane; i++) at.out[at.offset + c * at.channelStride + i * at.pixelStride] = v;
  }
}

/**
 * The bounding box of the pixels whose alpha exceeds `alphaAbove`, or undefined when there are none or
 * they reach all four edges (nothing to frame). An opaque image stops at the first pixel of each edge.
 */
export function subjectBox(image: RgbaImage, alphaAbove: number): SourceBox | undefined {
  const { width: w, height: h, data } = image;
  const rowHolds = (y: number) => {
    for (let x = 0, p = y * w * 4 + 3; x < w; x++, p += 4) if (data[p] > alphaAbove) return true;
    return false;
  };
  const columnHolds = (x: number, top: number, bottom: number) => {
    for (let y = top, p = (top * w + x) * 4 + 3; y < bottom; y++, p += w * 4)
      if (data[p] > alphaAbove) return true;
    return false;
  };
  let y0 = 0;
  while (y0 < h && !rowHolds(y0)) y0++;
  if (y0 === h) return undefined;
  let y1 = h;
  while (!rowHolds(y1 - 1)) y1--;
  let x0 = 0;
  while (!columnHolds(x0, y0, y1)) x0++;
  let x1 = w;
  while (!columnHolds(x1 - 1, y0, y1)) x1--;
  return x0 === 0 && y0 === 0 && x1 === w && y1 === h ? undefined : { x0, y0, x1, y1 };
}

/**
 * For an opaque image whose four edges are all within `tolerance` levels per channel of its top-left
 * pixel: the bounding box of the pixels that differ from that colour by more (or are not opaque), or
 * undefined when the edges are not such a margin, or nothing or everything differs.
 */
export function uniformMarginBox(image: RgbaImage, tolerance: number): SourceBox | undefined {
  const { width: w, height: h, data } = image;
  const [r, g, b] = [data[0], data[1], data[2]];
  const differs = (p: number) =>
    data[p + 3] < 255 ||
    Math.abs(data[p] - r) > tolerance ||
    Math.abs(data[p + 1] - g) > tolerance ||
    Math.abs(data[p + 2] - b) > tolerance;
  for (let x = 0; x < w; x++) if (differs(x * 4) || differs(((h - 1) * w + x) * 4)) return undefined;
  for (let y = 0; y < h; y++) if (differs(y * w * 4) || differs((y * w + w - 1) * 4)) return undefined;
  let x0 = w;
  let y0 = h;
  let x1 = 0;
  let y1 = 0;
  for (let y = 1; y < h - 1; y++)
    for (let x = 1, p = (y * w + 1) * 4; x < w - 1; x++, p += 4)
      if (differs(p)) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x + 1);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y + 1);
      }
  return x1 === 0 ? undefined : { x0, y0, x1, y1 };
}

/** Per call, beside the spec. */
export interface PreprocessOptions {
  /**
   * false: frame transparent margins only, not uniform opaque ones (ModelSpec frameSubject.uniformMargin).
   * For the builder's edited views (index-builder/imagePipeline.ts).
   */
  uniformMargins?: boolean;
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** One image, fitted and resized, into the model input at `offset`. */
function preprocessInto(
  image: RgbaImage,
  input: ModelInput,
  options: PreprocessOptions,
  out: Float32Array,
  offset: number,
): void {
  const W = input.width;
  const H = input.height;
  const { width: w, height: h } = image;
  const nchw = input.layout === 'NCHW';
  const at: Placement = {
    out,
    offset,
    width: W,
    height: H,
    ox: 0,
    oy: 0,
    channelStride: nchw ? W * H : 1,
    pixelStride: nchw ? 1 : 3,
    scale: input.scale,
    mean: input.mean,
    std: input.std,
  };
  switch (input.fit) {
    case 'stretch':
      return resampleInto(image, { x0: 0, y0: 0, x1: w, y1: h }, W, H, at);
    case 'center-crop': {
      // Scale so the image covers (W, H)/cropFraction, then keep the centred W×H window.
      const s = Math.max(W / w, H / h) / input.cropFraction;
      const frame = input.frameSubject;
      const margin = options.uniformMargins === false ? undefined : frame?.uniformMargin;
      const subject =
        frame &&
        (subjectBox(image, frame.alphaAbove) ?? (margin && uniformMarginBox(image, margin.tolerance)));
      if (subject === undefined) {
        const bw = W / s;
        const bh = H / s;
        const x0 = (w - bw) / 2;
        const y0 = (h - bh) / 2;
        return resampleInto(image, { x0, y0, x1: x0 + bw, y1: y0 + bh }, W, H, at);
      }
      // The window of the input's aspect in which the subject's longer side covers `coverage`, never
      // larger than the centred one, centred on the subject and moved inside the image.
      const perPixel = Math.min(
        Math.max((subject.x1 - subject.x0) / W, (subject.y1 - subject.y0) / H) / input.frameSubject!.coverage,
        1 / s,
      );
      const bw = W * perPixel;
      const bh = H * perPixel;
      const x0 = clamp((subject.x0 + subject.x1) / 2, bw / 2, w - bw / 2) - bw / 2;
      const y0 = clamp((subject.y0 + subject.y1) / 2, bh / 2, h - bh / 2) - bh / 2;
      return resampleInto(image, { x0, y0, x1: x0 + bw, y1: y0 + bh }, W, H, at);
    }
    case 'letterbox': {
      const s = Math.min(W / w, H / h);
      const rw = Math.min(W, Math.max(1, Math.round(w * s)));
      const rh = Math.min(H, Math.max(1, Math.round(h * s)));
      fillWhite(at);
      at.ox = Math.floor((W - rw) / 2);
      at.oy = Math.floor((H - rh) / 2);
      return resampleInto(image, { x0: 0, y0: 0, x1: w, y1: h }, rw, rh, at);
    }
    default:
      throw new Error(`preprocess: unknown fit ${JSON.stringify((input as { fit: unknown }).fit)}`);
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
  const frame = input.frameSubject;
  if (
    frame !== undefined &&
    (input.fit !== 'center-crop' ||
      !(frame.coverage > 0 && frame.coverage <= 1) ||
      !(Number.isInteger(frame.alphaAbove) && frame.alphaAbove >= 0 && frame.alphaAbove <= 254) ||
      (frame.uniformMargin !== undefined &&
        !(
          Number.isInteger(frame.uniformMargin.tolerance) &&
          frame.uniformMargin.tolerance >= 0 &&
          frame.uniformMargin.tolerance <= 254
        )))
  ) {
    throw new Error(
      `preprocess: frameSubject needs fit 'center-crop', coverage in (0, 1], alphaAbove and any uniformMargin.tolerance in 0..254, got ${JSON.stringify(frame)} with fit '${input.fit}'`,
    );
  }
  if (input.layout !== 'NCHW' && input.layout !== 'NHWC') {
    throw new Error(`preprocess: unknown layout ${JSON.stringify(input.layout)}`);
  }
}

/** N images stacked along the batch axis, in the spec's layout. */
export function preprocessBatch(
  images: RgbaImage[],
  input: ModelInput,
  options: PreprocessOptions = {},
): Float32Array {
  assertInput(input);
  if (images.length === 0) throw new Error('preprocess: no images given');
  images.forEach((image, i) => assertRgbaImage(image, `preprocess: image ${i}`));
  const size = 3 * input.width * input.height;
  const out = new Float32Array(images.length * size);
  images.forEach((image, i) => preprocessInto(image, input, options, out, i * size));
  return out;
}
