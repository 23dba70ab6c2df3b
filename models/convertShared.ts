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
 * How a tapped [N, C, H, W] activation becomes a [N, C] vector: 'avg' is global average pooling; 'gem' is
 * generalized-mean pooling (mean(max(x, 1e-6)^p))^(1/p) — p = 1 is the average, p → ∞ the max.
 */
export type Pooling = { type: 'avg' } | { type: 'gem'; p: number };

export const AVG_POOLING: Pooling = { type: 'avg' };
const GEM_EPSILON = 1e-6;

/** What every converter's output looks like. */
export interface ConvertedModel {
  onnx: Uint8Array;
  inputName: string;
  /** [C, H, W] of the model input (batch is dynamic). */
  inputShape: [number, number, number];
  outputs: { name: string; dim: number }[];
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
  inputName?: string;
  outputName?: string;
  graphName?: string;
}

/** TF 'same' padding along one axis: [before, after]. */
export function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
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

export function spatialOut(
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

/** Symmetric per-channel int8: channel o of `values` is the slice along `axis` of a [rows, cols] or [cout, ...] array. */
function quantizePerChannel(values: Float32Array, dims: number[], axis: 0 | 1) {
  const channels = dims[axis];
  const scales = new Float32Array(channels);
  const q = new Int8Array(values.length);
  const inner = axis === 0 ? values.length / channels : 1;
  const stride = axis === 0 ? 1 : channels;
  const perChannel = values.length / channels;
  const index = (ch: number, k: number) => (axis === 0 ? ch * inner + k : k * stride + ch);
  for (let ch = 0; ch < channels; ch++) {
    let max = 0;
    for (let k = 0; k < perChannel; k++) max = Math.max(max, Math.abs(values[index(ch, k)]));
    const scale = max > 0 ? max / 127 : 1;
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

/** A Conv node with its weights (in `encoding`) and float32 bias; returns the output name. */
export function convNode(graph: OnnxGraph, encoding: WeightEncoding, p: ConvParams): string {
  const [cout, , kh, kw] = p.dims;
  const inputs = [p.input, storeWeights(graph, encoding, `${p.base}_W`, p.kernel, p.dims, 0)];
  if (p.bias) inputs.push(graph.initializer(`${p.base}_B`, 'float32', [cout], p.bias));
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
  opts: Pick<HeadOptions, 'output' | 'outputName'>,
): { name: string; dim: number }[] {
  if (opts.output === 'pooled') {
    return pooled.map((p, i) => ({ name: graph.node('Identity', [p.name], tapNames[i]), dim: p.dim }));
  }
  const outName = opts.outputName ?? 'embedding';
  const normalised = pooled.map((p) =>
    graph.node('LpNormalization', [p.name], `${p.name}_l2`, { axis: 1, p: 2 }),
  );
  const joined =
    normalised.length === 1
      ? normalised[0]
      : graph.node('Concat', normalised, 'embedding_concat', { axis: 1 });
  const name = graph.node('LpNormalization', [joined], outName, { axis: 1, p: 2 });
  if (name !== outName) throw new Error(`output name ${outName} collides with a layer tensor`);
  return [{ name, dim: pooled.reduce((n, p) => n + p.dim, 0) }];
}
