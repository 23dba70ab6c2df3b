import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import * as ort from 'onnxruntime-node';
import { pathOption, shownPath } from '../storage/cliOptions';
import { GENERATED_MODELS_DIR, REPO_ROOT } from './buildModel';
import { OnnxGraph, valueInfo } from './onnxGraph';

/*
 * npm run generate-resnet50 [-- --out generated/models/resnet50-synthetic-qdq.onnx] [--seed 1]
 * Writes a ResNet-50 v1 with the exact layer shapes of the ONNX Model Zoo's resnet50-v1-12-qdq.onnx
 * (input `data`, pooled feature `resnetv17_pool1_fwd` [N,2048,1,1], logits `resnetv17_dense0_fwd`) but
 * seeded random weights, quantized the way QDQ models are: int8 per-channel weights, int32 biases, uint8
 * activations with scales calibrated by running the float version. It stands in for the real model (which
 * needs internet) in tests and benchmarks: same size, same operators, same cost, meaningless features.
 */

const RESNET50_SYNTHETIC_FILE = path.join(GENERATED_MODELS_DIR, 'resnet50-synthetic-qdq.onnx');

/** Seeded PRNG (mulberry32) → standard normal numbers (Box–Muller). */
function normalSource(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

interface ConvWeights {
  name: string;
  w: Float32Array;
  b: Float32Array;
  dims: [number, number, number, number];
  stride: number;
  pad: number;
}

interface Resnet50Weights {
  convs: Map<string, ConvWeights>;
  fc: { w: Float32Array; b: Float32Array };
}

function randomWeights(seed: number): Resnet50Weights {
  const normal = normalSource(seed);
  const convs = new Map<string, ConvWeights>();
  const conv = (name: string, cin: number, cout: number, k: number, stride: number, gain = 1) => {
    // He initialisation keeps activations at a steady scale through ReLUs; `gain` damps residual branches.
    const std = gain * Math.sqrt(2 / (cin * k * k));
    const w = Float32Array.from({ length: cout * cin * k * k }, () => normal() * std);
    const b = Float32Array.from({ length: cout }, () => normal() * 0.01);
    convs.set(name, { name, w, b, dims: [cout, cin, k, k], stride, pad: (k - 1) / 2 });
  };
  conv('resnetv17_conv0', 3, 64, 7, 2);
  let cin = 64;
  STAGES.forEach(({ blocks, width }, s) => {
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && s > 0 ? 2 : 1;
      const p = `resnetv17_stage${s + 1}_${i}`;
      conv(`${p}_conv0`, cin, width, 1, stride);
      conv(`${p}_conv1`, width, width, 3, 1);
      conv(`${p}_conv2`, width, width * 4, 1, 1, 0.3);
      if (i === 0) conv(`${p}_down`, cin, width * 4, 1, stride);
      cin = width * 4;
    }
  });
  const fcStd = Math.sqrt(1 / 2048);
  const fc = {
    w: Float32Array.from({ length: 1000 * 2048 }, () => normal() * fcStd),
    b: Float32Array.from({ length: 1000 }, () => normal() * 0.01),
  };
  return { convs, fc };
}

const STAGES = [
  { blocks: 3, width: 64 },
  { blocks: 4, width: 128 },
  { blocks: 6, width: 256 },
  { blocks: 3, width: 512 },
];

type Ranges = Map<string, { min: number; max: number }>;

/** uint8 activation quantization covering [min, max] (and 0, so zero stays exact). */
function activationQuant(range: { min: number; max: number }): { scale: number; zero: number } {
  const min = Math.min(range.min, 0);
  const max = Math.max(range.max, 0);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zero: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

/**
 * Builds the graph. Without `ranges` it is float and exposes every activation as an extra output (for
 * calibration); with `ranges` every activation goes through QuantizeLinear → DequantizeLinear and weights
 * are stored int8, which onnxruntime fuses into QLinearConv / QLinearAdd / QGemm kernels.
 */
function buildGraph(weights: Resnet50Weights, ranges?: Ranges): { bytes: Uint8Array; activations: string[] } {
  const g = new OnnxGraph();
  const activations: string[] = [];
  const input = g.fresh('data');

  const act = (t: string): string => {
    activations.push(t);
    if (!ranges) return t;
    const { scale, zero } = activationQuant(ranges.get(t)!);
    const s = g.initializer(`${t}_scale`, 'float32', [], [scale]);
    const z = g.initializer(`${t}_zero_point`, 'uint8', [], [zero]);
    const q = g.node('QuantizeLinear', [t, s, z], `${t}_quantized`);
    return g.node('DequantizeLinear', [q, s, z], `${t}_dequantized`);
  };

  const weightInput = (base: string, w: Float32Array, dims: number[], inputScale: number | undefined) => {
    if (!ranges || inputScale === undefined) {
      return { w: g.initializer(`${base}_weight`, 'float32', dims, w), scales: undefined };
    }
    const channels = dims[0];
    const per = w.length / channels;
    const scales = new Float32Array(channels);
    const q = new Int8Array(w.length);
    for (let c = 0; c < channels; c++) {
      let max = 0;
      for (let i = 0; i < per; i++) max = Math.max(max, Math.abs(w[c * per + i]));
      scales[c] = max > 0 ? max / 127 : 1;
      for (let i = 0; i < per; i++) q[c * per + i] = Math.round(w[c * per + i] / scales[c]);
    }
    const qName = g.initializer(`${base}_weight_quantized`, 'int8', dims, q);
    const sName = g.initializer(`${base}_weight_scale`, 'float32', [channels], scales);
    const zName = g.initializer(`${base}_weight_zero_point`, 'int8', [channels], new Int8Array(channels));
    return { w: g.node('DequantizeLinear', [qName, sName, zName], `${base}_weight`, { axis: 0 }), scales };
  };

  const biasInput = (
    base: string,
    b: Float32Array,
    inputScale: number | undefined,
    wScales?: Float32Array,
  ) => {
    if (!wScales || inputScale === undefined) return g.initializer(`${base}_bias`, 'float32', [b.length], b);
    // QDQ convention: int32 bias with scale = input scale × weight scale, zero point 0.
    const scales = Float32Array.from(wScales, (s) => s * inputScale);
    const q = Int32Array.from(b, (v, i) => Math.round(v / scales[i]));
    const qName = g.initializer(`${base}_bias_quantized`, 'int32', [b.length], q);
    const sName = g.initializer(`${base}_bias_scale`, 'float32', [b.length], scales);
    const zName = g.initializer(`${base}_bias_zero_point`, 'int32', [b.length], new Int32Array(b.length));
    return g.node('DequantizeLinear', [qName, sName, zName], `${base}_bias`, { axis: 0 });
  };

  const scaleOf = (t: string) => (ranges ? activationQuant(ranges.get(t)!).scale : undefined);

  /** conv(x) [+ relu]; `x` is the raw activation name (its dequantized form is `xq`). */
  const conv = (name: string, x: { raw: string; q: string }, relu: boolean): string => {
    const c = weights.convs.get(name)!;
    const inScale = scaleOf(x.raw);
    const { w, scales } = weightInput(name, c.w, c.dims, inScale);
    const b = biasInput(name, c.b, inScale, scales);
    const out = g.node('Conv', [x.q, w, b], `${name}_fwd`, {
      kernel_shape: [c.dims[2], c.dims[3]],
      strides: [c.stride, c.stride],
      pads: [c.pad, c.pad, c.pad, c.pad],
    });
    return relu ? g.node('Relu', [out], `${name}_relu`) : out;
  };
  const tensor = (raw: string) => ({ raw, q: act(raw) });

  let x = tensor(input);
  x = tensor(conv('resnetv17_conv0', x, true));
  x = tensor(
    g.node('MaxPool', [x.q], 'resnetv17_pool0_fwd', {
      kernel_shape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    }),
  );
  STAGES.forEach(({ blocks }, s) => {
    for (let i = 0; i < blocks; i++) {
      const p = `resnetv17_stage${s + 1}_${i}`;
      const a = tensor(conv(`${p}_conv0`, x, true));
      const b = tensor(conv(`${p}_conv1`, a, true));
      const c = tensor(conv(`${p}_conv2`, b, false));
      const shortcut = i === 0 ? tensor(conv(`${p}_down`, x, false)) : x;
      const sum = g.node('Add', [c.q, shortcut.q], `resnetv17_stage${s + 1}__plus${i}`);
      x = tensor(g.node('Relu', [sum], `resnetv17_stage${s + 1}_activation${i}`));
    }
  });
  const pooled = g.node('GlobalAveragePool', [x.q], 'resnetv17_pool1_fwd');
  const flat = tensor(g.node('Flatten', [pooled], 'flatten_473', { axis: 1 }));
  const fcScale = scaleOf(flat.raw);
  const { w: fcW, scales: fcScales } = weightInput(
    'resnetv17_dense0',
    transpose(weights.fc.w, 2048, 1000),
    [1000, 2048],
    fcScale,
  );
  const fcB = biasInput('resnetv17_dense0', weights.fc.b, fcScale, fcScales);
  const logits = g.node('Gemm', [flat.q, fcW, fcB], 'resnetv17_dense0_fwd', { transB: 1 });

  const outputs = [valueInfo(logits, ['N', 1000])];
  if (!ranges) outputs.push(...activations.filter((a) => a !== input).map((a) => valueInfo(a)));
  const bytes = g.toBytes({
    name: 'resnet50_v1_synthetic',
    inputs: [valueInfo(input, ['N', 3, 224, 224])],
    outputs,
    docString: 'ResNet-50 v1 layer shapes with seeded random weights (lookalike test stand-in), int8 QDQ',
  });
  return { bytes, activations };
}

/** [rows, cols] → [cols, rows]. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/** Runs the float graph on seeded noise images and records each activation's range. */
async function calibrate(weights: Resnet50Weights, seed: number): Promise<Ranges> {
  const { bytes, activations } = buildGraph(weights);
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'basic',
  });
  const normal = normalSource(seed + 1);
  const n = 2;
  const x = Float32Array.from({ length: n * 3 * 224 * 224 }, () => Math.max(-2.1, Math.min(2.6, normal())));
  const out = await session.run({ data: new ort.Tensor('float32', x, [n, 3, 224, 224]) });
  await session.release();
  const ranges: Ranges = new Map();
  for (const name of activations) {
    const data = name === 'data' ? x : (out[name].data as Float32Array);
    let min = Infinity;
    let max = -Infinity;
    for (const v of data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    ranges.set(name, { min, max });
  }
  return ranges;
}

async function generateResnet50(opts: { outPath?: string; seed?: number } = {}): Promise<string> {
  const outPath = path.resolve(opts.outPath ?? RESNET50_SYNTHETIC_FILE);
  const seed = opts.seed ?? 1;
  const weights = randomWeights(seed);
  const ranges = await calibrate(weights, seed);
  const { bytes } = buildGraph(weights, ranges);
  mkdirSync(path.dirname(outPath), { recursive: true });
  const tmp = `${outPath}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, outPath);
  return outPath;
}

/** What a generated file was made from: this generator's and the graph builder's sources, and the seed. */
function generatorStamp(seed: number): string {
  const hash = createHash('sha256');
  for (const file of ['resnet50Generator.ts', 'onnxGraph.ts'])
    hash.update(readFileSync(fileURLToPath(new URL(file, import.meta.url))));
  return JSON.stringify({ seed, generator: hash.digest('hex').slice(0, 16) });
}

/** The synthetic ResNet-50 in generated/models, generated first if missing or made by other sources. */
export async function ensureResnet50Synthetic(opts: { quiet?: boolean } = {}): Promise<string> {
  const stampPath = `${RESNET50_SYNTHETIC_FILE}.stamp`;
  const stamp = generatorStamp(1);
  if (
    existsSync(RESNET50_SYNTHETIC_FILE) &&
    existsSync(stampPath) &&
    readFileSync(stampPath, 'utf8') === stamp
  ) {
    return RESNET50_SYNTHETIC_FILE;
  }
  if (!opts.quiet) console.log('generating the synthetic ResNet-50…');
  await generateResnet50({ outPath: RESNET50_SYNTHETIC_FILE, seed: 1 });
  writeFileSync(stampPath, stamp);
  return RESNET50_SYNTHETIC_FILE;
}

/** Any whole number, as parseInt read it before; what it cannot read (once silently seed 0) is refused. */
function seedOption(value: string): number {
  if (!/^\s*-?\d+\s*$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  return Number.parseInt(value, 10);
}

async function main(argv: string[]): Promise<void> {
  const o = new Command()
    .name('generate-resnet50')
    .description(
      "Write a ResNet-50 v1 with the ONNX Model Zoo's int8 QDQ layer shapes and seeded random weights " +
        '(an offline stand-in for tests and benchmarks)',
    )
    .addOption(
      new Option('--out <file>', 'the .onnx file to write')
        .argParser(pathOption)
        .default(RESNET50_SYNTHETIC_FILE, path.relative(REPO_ROOT, RESNET50_SYNTHETIC_FILE)),
    )
    .option('--seed <n>', 'seed of the random weights (a whole number)', seedOption, 1)
    .parse(argv)
    .opts<{ out: string; seed: number }>();
  const started = Date.now();
  const file = await generateResnet50({ outPath: o.out, seed: o.seed });
  console.log(`wrote ${shownPath(file)} in ${Date.now() - started} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv).catch((err: unknown) => {
    console.error(`generate-resnet50: ${(err as Error).message}`);
    process.exit(1);
  });
}
