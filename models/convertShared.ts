import type { ModelOutput } from '../core/modelSpec';
import type { DecodedWeight } from './nsfwjsModel';
import type { OnnxGraph } from './onnxGraph';

/*
 * What the Keras converter (kerasToOnnx.ts) and the TF graph converter (graphToOnnx.ts) share: TF's
 * padding arithmetic, HWIO → OIHW kernel layouts, weight storage (float32 / float16 / int8) and the
 * pooling + normalising head that turns tapped activations into the model's output.
 */

/** How convolution and dense weights are stored in the file. */
export type WeightEncoding = 'float32' | 'int8' | 'float16';

/**
 * How a built model stores and runs its weights: a WeightEncoding (computed in float32 whatever the
 * storage), or 'int8-qdq' — int8 weights and activations, run on int8 kernels (staticQuantization.ts).
 */
export const MODEL_WEIGHTS = ['float32', 'float16', 'int8', 'int8-qdq'] as const;
export type ModelWeights = (typeof MODEL_WEIGHTS)[number];

/**
 * How a tapped [N, C, H, W] activation becomes a [N, C] vector: 'avg' is global average pooling; 'gem' is
 * generalized-mean pooling (mean(max(x, 1e-6)^p))^(1/p) — p = 1 is the average, p → ∞ the max.
 */
export type Pooling = { type: 'avg' } | { type: 'gem'; p: number };

const AVG_POOLING: Pooling = { type: 'avg' };
const GEM_EPSILON = 1e-6;

/** What every converter's output looks like. */
export interface ConvertedModel {
  onnx: Uint8Array;
  inputName: string;
  /** [C, H, W] of the model input (batch is dynamic). */
  inputShape: [number, number, number];
  outputs: ModelOutput[];
}

/** Options of the output head, the same for both converters. */
export interface HeadOptions {
  /**
   * 'embedding': one output, the L2-normalised concatenation of each tap's L2-normalised pooled vector.
   * 'pooled': one raw (unnormalised) pooled output per tap, named after the tap (for measurements).
   */
  output: 'embedding' | 'pooled';
  weights: WeightEncoding;
  /** Pooling per tap name; taps not listed are average-pooled. */
  pooling?: Record<string, Pooling>;
  /** 'embedding' only: append a colour histogram block computed from the input (colourHistogramBlock). */
  colour?: ColourBlockOptions;
  inputName?: string;
  outputName?: string;
  graphName?: string;
}

/**
 * A joint RGB colour histogram of the model input, appended to the embedding (models/colourBlock.test.ts
 * checks it against a plain JS computation). Each channel has `bins` triangular (linear-interpolation)
 * memberships max(0, 1 − |v − c_b|·(bins − 1)) at centres c_b = b/(bins − 1) over [0, 1] pixel values,
 * which sum to 1 per pixel; a pixel's joint bin weights are the products of its three channels'
 * memberships (bins³ joint bins), averaged over the image. The block is the square root of that
 * histogram (Hellinger), L2-normalised and scaled by `weight` (each tap's block has length 1).
 */
export interface ColourBlockOptions {
  /** Memberships per channel, ≥ 2 (4 → 64 joint bins, 6 → 216). */
  bins: number;
  /** The block's length next to each tap's unit-length block, before the final normalisation. */
  weight: number;
  /**
   * How the input tensor maps back to [0, 1] pixel values: pixel = x·std + mean per channel, i.e. the
   * inverse of the spec's input normalisation after its 1/255 scale. Default mean 0, std 1.
   */
  pixel?: { mean: readonly number[]; std: readonly number[] };
}

function checkColourBlock(c: ColourBlockOptions): void {
  if (!(Number.isInteger(c.bins) && c.bins >= 2 && c.bins <= 16))
    throw new Error(`colour block: bins ${c.bins} must be an integer in 2..16`);
  if (!(Number.isFinite(c.weight) && c.weight > 0))
    throw new Error(`colour block: weight ${c.weight} must be positive`);
  for (const [k, v] of Object.entries(c.pixel ?? {}))
    if (v.length !== 3 || !v.every(Number.isFinite))
      throw new Error(`colour block: pixel.${k} needs 3 numbers`);
}

/**
 * The colour block of an NCHW RGB input tensor as [N, bins³] (see ColourBlockOptions), joint bin
 * index (r·bins + g)·bins + b. Made of opset-13 ops only, so onnxruntime-node and -web agree.
 */
export function colourHistogramBlock(
  graph: OnnxGraph,
  input: string,
  c: ColourBlockOptions,
  base = 'colour',
): { name: string; dim: number } {
  checkColourBlock(c);
  const B = c.bins;
  const mean = c.pixel?.mean ?? [0, 0, 0];
  const std = c.pixel?.std ?? [1, 1, 1];
  let x = input;
  if (!std.every((s) => s === 1))
    x = graph.node(
      'Mul',
      [x, graph.initializer(`${base}_std`, 'float32', [1, 3, 1, 1], std)],
      `${base}_unstd`,
    );
  if (!mean.every((m) => m === 0))
    x = graph.node(
      'Add',
      [x, graph.initializer(`${base}_mean`, 'float32', [1, 3, 1, 1], mean)],
      `${base}_unmean`,
    );
  x = clip(graph, x, 0, 1, `${base}_pixels`);
  // Scaled so the centres are the integers 0..bins−1 (exact in float32): max(0, 1 − |v·(bins − 1) − b|).
  x = graph.node('Mul', [x, graph.initializer(`${base}_slope`, 'float32', [], [B - 1])], `${base}_scaled`);
  const centres = graph.initializer(
    `${base}_centres`,
    'float32',
    [1, B, 1, 1],
    Array.from({ length: B }, (_, b) => b),
  );
  const one = graph.initializer(`${base}_one`, 'float32', [], [1]);
  // Memberships of channel ch: [N, B, H, W] → [N, B, H·W].
  const memberships = (ch: number, name: string) => {
    const index = graph.initializer(`${base}_${name}_index`, 'int64', [1], [ch]);
    const v = graph.node('Gather', [x, index], `${base}_${name}`, { axis: 1 });
    const dist = graph.node(
      'Abs',
      [graph.node('Sub', [v, centres], `${base}_${name}_d`)],
      `${base}_${name}_abs`,
    );
    const tri = graph.node(
      'Relu',
      [graph.node('Sub', [one, dist], `${base}_${name}_1m`)],
      `${base}_${name}_m`,
    );
    const flat = graph.initializer(`${base}_${name}_shape`, 'int64', [3], [0, B, -1]);
    return graph.node('Reshape', [tri, flat], `${base}_${name}_flat`);
  };
  const r = memberships(0, 'r');
  const g = memberships(1, 'g');
  const b = memberships(2, 'b');
  // rg[n, i, j, p] = r[n, i, p]·g[n, j, p] → [N, B², P]; then · bᵀ over pixels → [N, B², B] / P.
  const rShape = graph.initializer(`${base}_r_shape4`, 'int64', [4], [0, B, 1, -1]);
  const gShape = graph.initializer(`${base}_g_shape4`, 'int64', [4], [0, 1, B, -1]);
  const rg = graph.node(
    'Mul',
    [graph.node('Reshape', [r, rShape], `${base}_r4`), graph.node('Reshape', [g, gShape], `${base}_g4`)],
    `${base}_rg`,
  );
  const rgFlat = graph.node(
    'Reshape',
    [rg, graph.initializer(`${base}_rg_shape`, 'int64', [3], [0, B * B, -1])],
    `${base}_rg_flat`,
  );
  const counts = graph.node(
    'MatMul',
    [rgFlat, graph.node('Transpose', [b], `${base}_bT`, { perm: [0, 2, 1] })],
    `${base}_counts`,
  );
  const joint = graph.node(
    'Reshape',
    [counts, graph.initializer(`${base}_joint_shape`, 'int64', [2], [0, B * B * B])],
    `${base}_joint`,
  );
  // Dividing by the pixel count is left to the normalisation: sqrt(h/P) ∝ sqrt(h).
  const hellinger = graph.node('Sqrt', [joint], `${base}_sqrt`);
  const unit = graph.node('LpNormalization', [hellinger], `${base}_l2`, { axis: 1, p: 2 });
  const weight = graph.initializer(`${base}_weight`, 'float32', [], [c.weight]);
  return { name: graph.node('Mul', [unit, weight], `${base}_weighted`), dim: B * B * B };
}

/** TF 'same' padding along one axis: [before, after]. */
function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** TF 'same' padding of an H×W input as ONNX [top, left, bottom, right]. */
export function samePads2d(
  [h, w]: [number, number],
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [dh, dw]: [number, number] = [1, 1],
): [number, number, number, number] {
  const [pt, pb] = samePads(h, kh, sh, dh);
  const [pl, pr] = samePads(w, kw, sw, dw);
  return [pt, pl, pb, pr];
}

function spatialOut(
  size: number,
  before: number,
  after: number,
  kernel: number,
  stride: number,
  dilation = 1,
) {
  return Math.floor((size + before + after - ((kernel - 1) * dilation + 1)) / stride) + 1;
}

/** TF [kh, kw, cin, cout] → ONNX [cout, cin, kh, kw]. */
export function convKernelToOihw(w: DecodedWeight): Float32Array {
  const [kh, kw, cin, cout] = w.shape;
  const out = new Float32Array(w.values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++)
          out[((o * cin + i) * kh + y) * kw + x] = w.values[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** TF depthwise [kh, kw, c, mult] → ONNX grouped [c*mult, 1, kh, kw] (output channel c*mult + m). */
export function depthwiseKernelToOihw(w: DecodedWeight): Float32Array {
  const [kh, kw, c, mult] = w.shape;
  const out = new Float32Array(w.values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < c; i++)
        for (let m = 0; m < mult; m++)
          out[((i * mult + m) * kh + y) * kw + x] = w.values[((y * kw + x) * c + i) * mult + m];
  return out;
}

/**
 * Symmetric per-channel int8: channel o of `values` is the slice along `axis` of a [rows, cols] or [cout, ...] array.
 * With `pairLimit`, a channel's scale also keeps any two of its weights of one sign within that many
 * levels together (models/staticQuantization.ts says why).
 */
export function quantizePerChannel(values: Float32Array, dims: number[], axis: 0 | 1, pairLimit?: number) {
  const channels = dims[axis];
  const scales = new Float32Array(channels);
  const q = new Int8Array(values.length);
  const inner = axis === 0 ? values.length / channels : 1;
  const stride = axis === 0 ? 1 : channels;
  const perChannel = values.length / channels;
  const index = (ch: number, k: number) => (axis === 0 ? ch * inner + k : k * stride + ch);
  for (let ch = 0; ch < channels; ch++) {
    let max = 0;
    // The two largest positive weights and the two largest negative ones, as magnitudes.
    const top = [0, 0, 0, 0];
    for (let k = 0; k < perChannel; k++) {
      const v = values[index(ch, k)];
      max = Math.max(max, Math.abs(v));
      const at = v > 0 ? 0 : 2;
      const m = Math.abs(v);
      if (m > top[at]) [top[at], top[at + 1]] = [m, top[at]];
      else if (m > top[at + 1]) top[at + 1] = m;
    }
    const pair = Math.max(top[0] + top[1], top[2] + top[3]);
    const scale = max > 0 ? Math.max(max / 127, pairLimit ? pair / pairLimit : 0) : 1;
    scales[ch] = scale;
    for (let k = 0; k < perChannel; k++) q[index(ch, k)] = Math.round(values[index(ch, k)] / scale);
  }
  return { q, scales };
}

/**
 * A weight tensor in the chosen encoding, returning the name of its float32 value: an initializer
 * (float32), a float16 initializer + Cast, or an int8 initializer + DequantizeLinear over `channelAxis`.
 */
export function storeWeights(
  graph: OnnxGraph,
  encoding: WeightEncoding,
  base: string,
  values: Float32Array,
  dims: number[],
  channelAxis: 0 | 1,
): string {
  switch (encoding) {
    case 'float32':
      return graph.initializer(base, 'float32', dims, values);
    case 'float16': {
      const half = graph.initializer(`${base}_f16`, 'float16', dims, values);
      return graph.node('Cast', [half], base, { to: 1 });
    }
    case 'int8': {
      const { q, scales } = quantizePerChannel(values, dims, channelAxis);
      const qName = graph.initializer(`${base}_q`, 'int8', dims, q);
      const sName = graph.initializer(`${base}_scale`, 'float32', [scales.length], scales);
      const zName = graph.initializer(`${base}_zero`, 'int8', [scales.length], new Int8Array(scales.length));
      return graph.node('DequantizeLinear', [qName, sName, zName], base, { axis: channelAxis });
    }
  }
}

export function clip(graph: OnnxGraph, t: string, min: number, max: number, base: string): string {
  const lo = graph.initializer(`${base}_min`, 'float32', [], [min]);
  const hi = graph.initializer(`${base}_max`, 'float32', [], [max]);
  return graph.node('Clip', [t, lo, hi], base);
}

export interface ConvParams {
  /** The NCHW input tensor. */
  input: string;
  /** Weights already in ONNX layout [cout, cin/group, kh, kw]. */
  kernel: Float32Array;
  dims: [number, number, number, number];
  bias?: Float32Array;
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  group: number;
  /** Names the weight initializers. */
  base: string;
  /** Names the output. */
  output: string;
}

/** The float32 tensors a Conv reads: its weights (stored in `encoding`) and bias. */
export interface ConvWeights {
  kernel: string;
  bias?: string;
}

/** Stores a Conv's weights (in `encoding`) and float32 bias, for one or more Conv nodes that share them. */
export function convWeights(graph: OnnxGraph, encoding: WeightEncoding, p: ConvParams): ConvWeights {
  const kernel = storeWeights(graph, encoding, `${p.base}_W`, p.kernel, p.dims, 0);
  return p.bias
    ? { kernel, bias: graph.initializer(`${p.base}_B`, 'float32', [p.dims[0]], p.bias) }
    : { kernel };
}

/**
 * A Conv node; its weights are stored unless `shared` gives the tensors of an earlier Conv with the same
 * parameters. Returns the output name.
 */
export function convNode(
  graph: OnnxGraph,
  encoding: WeightEncoding,
  p: ConvParams,
  shared: ConvWeights = convWeights(graph, encoding, p),
): string {
  const [, , kh, kw] = p.dims;
  const inputs = [p.input, shared.kernel, ...(shared.bias ? [shared.bias] : [])];
  return graph.node('Conv', inputs, p.output, {
    kernel_shape: [kh, kw],
    strides: p.strides,
    dilations: p.dilations,
    pads: p.pads,
    group: p.group,
  });
}

/** Output [H, W] of a conv or pool window over [h, w] with the given [top, left, bottom, right] pads. */
export function convOutSize(
  [h, w]: [number, number],
  pads: [number, number, number, number],
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [dh, dw]: [number, number] = [1, 1],
): [number, number] {
  return [spatialOut(h, pads[0], pads[2], kh, sh, dh), spatialOut(w, pads[1], pads[3], kw, sw, dw)];
}

/**
 * An NCHW tensor resized to height × width (bilinear, half-pixel centres, no antialiasing), output named
 * `base`. Resize's `sizes` must name the batch too, which is dynamic: it comes from the input's shape.
 */
export function resizeNchw(
  graph: OnnxGraph,
  input: string,
  height: number,
  width: number,
  base: string,
): string {
  const shape = graph.node('Shape', [input], `${base}_shape`);
  const starts = graph.initializer(`${base}_nc_start`, 'int64', [1], [0]);
  const ends = graph.initializer(`${base}_nc_end`, 'int64', [1], [2]);
  const nc = graph.node('Slice', [shape, starts, ends], `${base}_nc`);
  const hw = graph.initializer(`${base}_hw`, 'int64', [2], [height, width]);
  const sizes = graph.node('Concat', [nc, hw], `${base}_sizes`, { axis: 0 });
  return graph.node('Resize', [input, '', '', sizes], base, {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
}

/** "a, b (GeM p=3)": the taps and any non-average pooling, for the model's doc string. */
export function describeTaps(taps: string[], pooling: HeadOptions['pooling']): string {
  return taps
    .map((t) => {
      const p = pooling?.[t];
      return p?.type === 'gem' ? `${t} (GeM p=${p.p})` : t;
    })
    .join(', ');
}

function checkPooling(pooling: Pooling, tap: string): void {
  if (pooling.type === 'avg') return;
  if (pooling.type !== 'gem' || !(Number.isFinite(pooling.p) && pooling.p > 0))
    throw new Error(`tap ${tap}: unsupported pooling ${JSON.stringify(pooling)} (avg, or gem with p > 0)`);
}

/** A tapped activation to pool: spatial ([N, C, H, W], `channels`) or already a vector ([N, features]). */
export type TapTensor =
  { name: string; rank: 4; channels: number } | { name: string; rank: 2; features: number };

/** The tap's activation as [N, C]: pooled (average or GeM) and flattened if spatial. */
export function pooledVector(
  graph: OnnxGraph,
  t: TapTensor,
  base: string,
  pooling: Pooling = AVG_POOLING,
): { name: string; dim: number } {
  if (t.rank === 2) return { name: t.name, dim: t.features };
  checkPooling(pooling, base);
  let x = t.name;
  if (pooling.type === 'gem') {
    const eps = graph.initializer(`${base}_gem_eps`, 'float32', [], [GEM_EPSILON]);
    const p = graph.initializer(`${base}_gem_p`, 'float32', [], [pooling.p]);
    x = graph.node('Pow', [graph.node('Clip', [x, eps], `${base}_gem_clip`), p], `${base}_gem_pow`);
  }
  let pooled = graph.node('GlobalAveragePool', [x], `${base}_gap`);
  if (pooling.type === 'gem') {
    const inv = graph.initializer(`${base}_gem_inv_p`, 'float32', [], [1 / pooling.p]);
    pooled = graph.node('Pow', [pooled, inv], `${base}_gem_root`);
  }
  return { name: graph.node('Flatten', [pooled], `${base}_pooled`, { axis: 1 }), dim: t.channels };
}

/**
 * The graph's outputs from the taps' pooled vectors: one raw output per tap named after it ('pooled'), or
 * `embedding` = L2norm(concat(L2norm(pooled_i))) ('embedding').
 */
export function outputHead(
  graph: OnnxGraph,
  pooled: { name: string; dim: number }[],
  tapNames: string[],
  opts: Pick<HeadOptions, 'output' | 'outputName' | 'colour'>,
  input?: string,
): ModelOutput[] {
  if (opts.output === 'pooled') {
    if (opts.colour) throw new Error("the colour block needs output 'embedding'");
    return pooled.map((p, i) => ({ name: graph.node('Identity', [p.name], tapNames[i]), dim: p.dim }));
  }
  const outName = opts.outputName ?? 'embedding';
  const normalised = pooled.map((p) =>
    graph.node('LpNormalization', [p.name], `${p.name}_l2`, { axis: 1, p: 2 }),
  );
  let dim = pooled.reduce((n, p) => n + p.dim, 0);
  let colourBlock: ModelOutput['colourBlock'];
  if (opts.colour) {
    if (input === undefined) throw new Error('the colour block needs the input tensor');
    const block = colourHistogramBlock(graph, input, opts.colour);
    normalised.push(block.name);
    colourBlock = { offset: dim, dim: block.dim };
    dim += block.dim;
  }
  const joined =
    normalised.length === 1
      ? normalised[0]
      : graph.node('Concat', normalised, 'embedding_concat', { axis: 1 });
  const name = graph.node('LpNormalization', [joined], outName, { axis: 1, p: 2 });
  if (name !== outName) throw new Error(`output name ${outName} collides with a layer tensor`);
  return [colourBlock ? { name, dim, colourBlock } : { name, dim }];
}
