import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { featurize } from '../core/featurize';
import { preprocessBatch } from '../core/preprocess';
import type { RgbaImage } from '../core/rgbaImage';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { buildModel } from './buildModel';
import type { ConvertedModel, Pooling, WeightEncoding } from './convertShared';
import { graphToOnnx, shortNodeName, type GraphConvertOptions } from './graphToOnnx';
import { kerasToOnnx } from './kerasToOnnx';
import { COMPANION_TAPS, NSFWJS_EMBEDDINGS } from './nsfwjsEmbeddings';
import {
  loadNsfwjsModel,
  type DecodedWeight,
  type GraphAttr,
  type GraphNode,
  type NsfwjsGraphModel,
  type WeightSpec,
} from './nsfwjsModel';
import { onnx } from './onnxGraph';
import { cosine, embeddingFromPooled, emojiFixtures, minRowCosine } from './research/parity';
import { decodedWeightArtifacts, loadTfjsModel, tfjsPooled } from './research/tfjsReference';

/*
 * Parity of the TF graph converter: the converted ONNX model (onnxruntime-node) must give the same pooled
 * activations as TF.js (CPU backend) running the original graph on the same float32 weights and pixels.
 */

const AVG: Pooling = { type: 'avg' };
const GEM3: Pooling = { type: 'gem', p: 3 };

type GraphSource = Pick<NsfwjsGraphModel, 'nodes' | 'weights' | 'weightSpecs' | 'modelTopology'>;

/** The graph in TF.js from our decoded weights; `inputHw` replaces the Placeholder's spatial size. */
async function loadTfjsGraph(model: GraphSource, inputHw?: [number, number]): Promise<tf.GraphModel> {
  await tf.setBackend('cpu');
  const topology = structuredClone(model.modelTopology) as { node: GraphNode[] };
  for (const node of topology.node) {
    const dim = node.op === 'Placeholder' ? node.attr?.shape?.shape?.dim : undefined;
    if (dim && inputHw) [dim[1], dim[2]] = inputHw.map((size) => ({ size: String(size) }));
  }
  const artifacts = decodedWeightArtifacts(model);
  return tf.loadGraphModel({
    load: async () => ({ modelTopology: topology, format: 'graph-model', ...artifacts }),
  });
}

/** TF.js's pooled (avg / GeM) value of a 4-D NHWC or 2-D activation, as a flat N×C array. */
function tfjsPool(t: tf.Tensor, pooling: Pooling): Float32Array {
  return tf.tidy(() => {
    if (t.rank === 2) return Float32Array.from(t.dataSync());
    if (pooling.type === 'avg') return Float32Array.from(t.mean([1, 2]).dataSync());
    const pooled = tf
      .maximum(t, 1e-6)
      .pow(pooling.p)
      .mean([1, 2])
      .pow(1 / pooling.p);
    return Float32Array.from(pooled.dataSync());
  });
}

/**
 * Runs a TF.js model on NCHW input (transposed to NHWC): a graph model up to the named nodes, a layers
 * model to its outputs. The caller disposes the results.
 */
function tfjsActivations(
  model: tf.GraphModel,
  nchw: Float32Array,
  dims: number[],
  nodes: string[],
): tf.Tensor[];
function tfjsActivations(model: tf.LayersModel, nchw: Float32Array, dims: number[]): tf.Tensor[];
function tfjsActivations(
  model: tf.GraphModel | tf.LayersModel,
  nchw: Float32Array,
  dims: number[],
  nodes?: string[],
): tf.Tensor[] {
  const input = tf.tidy(() =>
    tf.tensor4d(nchw, dims as [number, number, number, number]).transpose([0, 2, 3, 1]),
  );
  const outs = model instanceof tf.GraphModel ? model.execute(input, nodes) : model.predict(input);
  input.dispose();
  return Array.isArray(outs) ? outs : [outs];
}

/** NCHW input as NHWC, resized bilinearly with half-pixel centres (what ONNX Resize 'linear' does). */
function nhwcResized(nchw: Float32Array, dims: number[], [h, w]: [number, number]): tf.Tensor4D {
  return tf.tidy(() =>
    tf.image.resizeBilinear(
      tf.tensor4d(nchw, dims as [number, number, number, number]).transpose<tf.Tensor4D>([0, 2, 3, 1]),
      [h, w],
      false,
      true,
    ),
  );
}

/** Every output of a converted model in onnxruntime, one flat N×dim array each. */
async function runConverted(
  converted: ConvertedModel,
  x: Float32Array,
  dims: number[],
): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(converted.onnx, { intraOpNumThreads: 2 });
  try {
    const names = converted.outputs.map((o) => o.name);
    const results = await session.run({ [converted.inputName]: new ort.Tensor('float32', x, dims) }, names);
    return names.map((name) => results[name].data as Float32Array);
  } finally {
    await session.release();
  }
}

/** Pooled outputs of a fresh 'pooled' graph conversion, one flat N×dim array per tap. */
function onnxPooled(
  model: Pick<GraphSource, 'nodes' | 'weights'>,
  opts: Omit<GraphConvertOptions, 'output'>,
  x: Float32Array,
  dims: number[],
): Promise<Float32Array[]> {
  return runConverted(graphToOnnx(model.nodes, model.weights, { ...opts, output: 'pooled' }), x, dims);
}

describe('mobilenet_v2_mid (TF graph model) conversion matches TF.js', () => {
  const choice = NSFWJS_EMBEDDINGS.mobilenet_v2_mid;
  const size = 160;
  const taps = [
    'MobilenetV2/expanded_conv_4/add',
    'MobilenetV2/expanded_conv_6/expand/Relu6',
    'MobilenetV2/expanded_conv_12/expand/Relu6',
    'MobilenetV2/expanded_conv_13/depthwise/depthwise',
  ];
  let model: NsfwjsGraphModel;
  let images: RgbaImage[];
  let x: Float32Array;
  let dims: number[];
  /** TF.js's pooled activations per tap: avg and GeM p = 3. */
  const reference = new Map<string, { avg: Float32Array; gem: Float32Array }>();

  beforeAll(async () => {
    model = loadNsfwjsModel('mobilenet_v2_mid');
    images = await emojiFixtures([
      ['apple', '1F600'],
      ['google', '1F436'],
      ['twitter', '1F34E'],
      ['apple', '1F697'],
    ]);
    // The emoji, preprocessed as the spec says, plus one row of uniform noise in [0, 1].
    const emoji = preprocessBatch(images, choice.input);
    const plane = 3 * size * size;
    x = new Float32Array(emoji.length + plane);
    x.set(emoji);
    let seed = 7;
    for (let i = emoji.length; i < x.length; i++) x[i] = (seed = (seed * 16807) % 2147483647) / 2147483647;
    dims = [images.length + 1, 3, size, size];
    const tfjsGraph = await loadTfjsGraph(model, [size, size]);
    const full = taps.map((t) => model.nodes.find((n) => shortNodeName(n.name) === t)!.name);
    const outs = tfjsActivations(tfjsGraph, x, dims, full);
    taps.forEach((t, k) => reference.set(t, { avg: tfjsPool(outs[k], AVG), gem: tfjsPool(outs[k], GEM3) }));
    tf.dispose(outs);
    tfjsGraph.dispose();
  });

  it('the graph maps [0, 1] pixels to [-1, 1] itself (x*2 - 1), so the spec feeds [0, 1]', () => {
    const byShort = (s: string) => model.nodes.find((n) => shortNodeName(n.name) === s)!;
    const mul = byShort('hub_input/Mul');
    const sub = byShort('hub_input/Sub');
    expect(mul.op).toBe('Mul');
    expect(mul.input).toEqual([byShort('hub_input/Mul/y').name, 'input']);
    expect(sub.input).toEqual([mul.name, byShort('hub_input/Sub/y').name]);
    expect(Array.from(model.weights.get(byShort('hub_input/Mul/y').name)!.values)).toEqual([2]);
    expect(Array.from(model.weights.get(byShort('hub_input/Sub/y').name)!.values)).toEqual([1]);
    expect(choice.input).toMatchObject({ scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] });
  });

  it('float32: avg and GeM pooled activations at every tap, cosine ≥ 0.9999', async () => {
    // Per-tap pooling: each conversion mixes avg and GeM, the second swaps them.
    const mixes: Pooling[][] = [
      [AVG, GEM3, AVG, GEM3],
      [GEM3, AVG, GEM3, AVG],
    ];
    const worst = new Map<string, number>();
    for (const mix of mixes) {
      const pooling = Object.fromEntries(taps.map((t, k) => [t, mix[k]]));
      const opts = {
        taps,
        pooling,
        weights: 'float32' as WeightEncoding,
        inputSize: { height: size, width: size },
      };
      const ours = await onnxPooled(model, opts, x, dims);
      taps.forEach((t, k) => {
        const ref = reference.get(t)![mix[k].type];
        const c = minRowCosine(ours[k], ref, dims[0]);
        worst.set(`${t} ${mix[k].type}`, c);
        expect(c).toBeGreaterThanOrEqual(0.9999);
      });
    }
    console.log(
      `mobilenet_v2_mid float32 vs TF.js, min cosine over ${dims[0]} inputs at ${size} px:\n` +
        [...worst]
          .map(([k, c]) => `  ${k}: ${c.toFixed(7)} (1 - cos = ${(1 - c).toExponential(1)})`)
          .join('\n'),
    );
  });

  it('the float16 build (build-model, core/featurize): embedding cosine ≥ 0.999 vs TF.js', async () => {
    const built = await buildModel({
      model: 'mobilenet_v2_mid',
      outDir: mkdtempSync(path.join(tmpdir(), 'build-graph-model-')),
      quiet: true,
    });
    expect(path.basename(built.onnxPath)).toBe('mobilenet_v2_mid.onnx');
    // Two tapped blocks, then the default's colour block (checked against JS in colourBlock.test.ts)
    // and its companion network's blocks 10 and 13 (joinModels.test.ts, and below against TF.js).
    const cnnDim = 288 + 816;
    expect(choice.companion?.model).toBe('mobilenet_v2');
    expect(built.spec.output).toEqual({
      name: 'embedding',
      dim: cnnDim + choice.colour!.bins ** 3 + 384 + 576,
      colourBlock: { offset: cnnDim, dim: choice.colour!.bins ** 3 },
    });
    expect([built.spec.input.width, built.spec.input.height]).toEqual([size, size]);
    const proto = onnx.ModelProto.decode(readFileSync(built.onnxPath));
    const inputDims = proto.graph!.input![0].type!.tensorType!.shape!.dim!.map(
      (d) => d.dimParam || Number(d.dimValue),
    );
    expect(inputDims).toEqual(['N', 3, size, size]);

    const runner = await createOnnxModelRunner(built.onnxPath, built.spec, 2);
    const embeddings = await featurize(runner, built.spec, images);
    await runner.release();
    const n = images.length;
    // The shipped choice is GeM p = 3 at taps referenced above.
    expect(choice.pooling).toEqual(Object.fromEntries(choice.layers.map((l) => [l, GEM3])));
    // Each tap at 160 px and at the choice's further scales (TF.js on the bilinearly resized input):
    // the sum of the L2-normalised GeM vectors (graphToOnnx's `scales`).
    const passes = [choice.layers.map((l) => reference.get(l)!.gem)];
    for (const side of choice.scales ?? []) {
      const graph = await loadTfjsGraph(model, [side, side]);
      const resized = nhwcResized(x, dims, [side, side]);
      const full = choice.layers.map((t) => model.nodes.find((node) => shortNodeName(node.name) === t)!.name);
      const outs = graph.execute(resized, full) as tf.Tensor[];
      passes.push(outs.map((o) => tfjsPool(o, GEM3)));
      tf.dispose([resized, ...outs]);
      graph.dispose();
    }
    const refRows = embeddingFromPooled(
      choice.layers.map((_, k) => {
        const unitSum = passes
          .map((pass) => embeddingFromPooled([pass[k]], n + 1).flatMap((row) => Array.from(row)))
          .reduce((a, b) => a.map((v, i) => v + b[i]));
        return Float32Array.from(unitSum.slice(0, (n * unitSum.length) / (n + 1)));
      }),
      n,
    );
    // TF.js has no colour block or companion: compare the main CNN part (cosine ignores the shared normalisation).
    const cosines = embeddings.map((e, i) => cosine(e.subarray(0, cnnDim), refRows[i]));
    console.log(
      `mobilenet_v2_mid float16 embedding vs TF.js: min cosine ${Math.min(...cosines).toFixed(7)} over ${n} emoji`,
    );
    for (const c of cosines) expect(c).toBeGreaterThanOrEqual(0.999);
    // Different emoji must not collapse to one vector.
    expect(cosine(embeddings[0], embeddings[1])).toBeLessThan(0.995);
  });
});

/* A small synthetic graph exercising every supported op, in the TF.js graph JSON format. */

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (...v: number[]): GraphAttr => ({ list: { i: v.map(String) } });
const str = (s: string): GraphAttr => ({ s: b64(s) });
const FLOAT: GraphAttr = { type: 'DT_FLOAT' };

function fusedConv(
  name: string,
  op: '_FusedConv2D' | 'FusedDepthwiseConv2dNative',
  inputs: string[],
  o: {
    strides?: number[];
    dilations?: number[];
    padding: string;
    explicit?: number[];
    fused: string[];
    format?: string;
  },
): GraphNode {
  return {
    name,
    op,
    input: inputs,
    attr: {
      T: FLOAT,
      data_format: str(o.format ?? 'NHWC'),
      strides: ints(...(o.strides ?? [1, 1, 1, 1])),
      dilations: ints(...(o.dilations ?? [1, 1, 1, 1])),
      padding: str(o.padding),
      explicit_paddings: ints(...(o.explicit ?? [])),
      num_args: { i: '1' },
      fused_ops: { list: { s: o.fused.map(b64) } },
    },
  };
}

/** Builds nodes, weights and specs the way loadNsfwjsModel returns them. */
class SyntheticGraph {
  readonly nodes: GraphNode[] = [];
  readonly weights = new Map<string, DecodedWeight>();
  readonly weightSpecs: WeightSpec[] = [];
  private seed = 12345;

  private random(): number {
    this.seed = (this.seed * 16807) % 2147483647;
    return this.seed / 2147483647 - 0.5;
  }

  input(name: string, hwc: [number, number, number]): string {
    const dim = [-1, ...hwc].map((s) => ({ size: String(s) }));
    this.nodes.push({ name, op: 'Placeholder', attr: { shape: { shape: { dim } }, dtype: FLOAT } });
    return name;
  }

  constant(name: string, shape: number[], values?: number[], dtype: 'float32' | 'int32' = 'float32'): string {
    const count = shape.reduce((a, b) => a * b, 1);
    const v = Float32Array.from(values ?? Array.from({ length: count }, () => this.random()));
    const type = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    const tensorShape = { dim: shape.map((s) => ({ size: String(s) })) };
    this.nodes.push({
      name,
      op: 'Const',
      attr: { value: { tensor: { dtype: type, tensorShape } }, dtype: { type } },
    });
    this.weights.set(name, { shape, values: v });
    this.weightSpecs.push({ name, shape, dtype });
    return name;
  }

  add(node: GraphNode): string {
    this.nodes.push(node);
    return node.name;
  }

  op(name: string, op: string, input: string[], attr: Record<string, GraphAttr> = {}): string {
    return this.add({ name, op, input, attr: { T: FLOAT, ...attr } });
  }

  get modelTopology(): object {
    return { node: this.nodes, versions: { producer: 175 } };
  }
}

/** Every supported op: per-channel and NHWC constants, Pad, VALID / SAME / EXPLICIT, strides, dilations,
 * depthwise multiplier 2, Relu / Relu6, ConcatV2, Mean with and without keep_dims, tensor × tensor. */
function opCoverageGraph(): SyntheticGraph {
  const g = new SyntheticGraph();
  const x = g.input('input', [13, 11, 3]);
  const scaled = g.op('scaled', 'Mul', [x, g.constant('scale', [3])]);
  const shifted = g.op('shifted', 'Sub', [g.constant('shift', [1, 1, 1, 3]), scaled]);
  const padded = g.op('padded', 'Pad', [
    shifted,
    g.constant('paddings', [4, 2], [0, 0, 1, 2, 2, 0, 0, 0], 'int32'),
  ]);
  const conv1 = g.add(
    fusedConv('conv1', '_FusedConv2D', [padded, g.constant('w1', [3, 3, 3, 8]), g.constant('b1', [8])], {
      padding: 'VALID',
      strides: [1, 2, 1, 1],
      fused: ['BiasAdd', 'Relu'],
    }),
  );
  const dw = g.add(
    fusedConv(
      'dw',
      'FusedDepthwiseConv2dNative',
      [conv1, g.constant('wd', [3, 3, 8, 2]), g.constant('bd', [16])],
      {
        padding: 'SAME',
        strides: [1, 2, 2, 1],
        fused: ['BiasAdd', 'Relu6'],
      },
    ),
  );
  const conv2 = g.add(
    fusedConv('conv2', '_FusedConv2D', [dw, g.constant('w2', [3, 3, 16, 16]), g.constant('b2', [16])], {
      padding: 'EXPLICIT',
      explicit: [0, 0, 2, 0, 1, 1, 0, 0],
      fused: ['BiasAdd'],
    }),
  );
  const conv3 = g.add(
    fusedConv('conv3', '_FusedConv2D', [dw, g.constant('w3', [3, 3, 16, 16]), g.constant('b3', [16])], {
      padding: 'SAME',
      dilations: [1, 2, 2, 1],
      fused: ['BiasAdd'],
    }),
  );
  const relu = g.op('relu', 'Relu', [g.op('sum', 'AddV2', [conv2, conv3])]);
  const cat = g.op('cat', 'ConcatV2', [relu, dw, g.constant('axis', [], [-1], 'int32')], { N: { i: '2' } });
  const lifted = g.op('lifted', 'Identity', [g.op('plus', 'Add', [cat, g.constant('half', [], [0.5])])]);
  const axes = g.constant('axes', [2], [1, 2], 'int32');
  const mean = g.op('mean', 'Mean', [lifted, axes], { keep_dims: { b: true } });
  g.op('gated', 'Relu6', [g.op('gate', 'Mul', [lifted, mean])]);
  g.op('flat', 'Mean', [lifted, axes], { keep_dims: { b: false } });
  return g;
}

describe('graphToOnnx on a synthetic graph', () => {
  const dims = [2, 3, 13, 11];
  const x = Float32Array.from({ length: 2 * 3 * 13 * 11 }, (_, i) => Math.sin(i * 0.7));

  it('every supported op matches TF.js (avg and GeM, float32), cosine ≥ 0.99999', async () => {
    const g = opCoverageGraph();
    const taps = ['gated', 'flat', 'dw', 'padded'];
    const reference = await loadTfjsGraph(g);
    const outs = tfjsActivations(reference, x, dims, taps);
    for (const pooling of [AVG, GEM3]) {
      const ours = await onnxPooled(
        g,
        { taps, pooling: Object.fromEntries(taps.map((t) => [t, pooling])), weights: 'float32' },
        x,
        dims,
      );
      taps.forEach((t, k) => {
        const ref = tfjsPool(outs[k], pooling);
        expect(ours[k].length, t).toBe(ref.length);
        expect(minRowCosine(ours[k], ref, dims[0]), `${t} ${pooling.type}`).toBeGreaterThanOrEqual(0.99999);
        // Cosine ignores scale: the values themselves must agree too.
        const scale = Math.max(...ref.map(Math.abs));
        ours[k].forEach((v, i) => expect(Math.abs(v - ref[i]) / scale, t).toBeLessThan(1e-4));
      });
    }
    tf.dispose(outs);
    reference.dispose();
  });

  it('GeM with p = 1 is average pooling', async () => {
    const g = opCoverageGraph();
    const taps = ['gated', 'dw'];
    const opts = { taps, weights: 'float32' as const };
    const avg = await onnxPooled(g, opts, x, dims);
    const gem1 = await onnxPooled(
      g,
      { ...opts, pooling: { gated: { type: 'gem', p: 1 }, dw: { type: 'gem', p: 1 } } },
      x,
      dims,
    );
    taps.forEach((_, k) => {
      expect(gem1[k].length).toBe(avg[k].length);
      // Only the clamp at 1e-6 may differ (on exact zeros of the ReLU6 outputs).
      gem1[k].forEach((v, i) => expect(Math.abs(v - avg[k][i])).toBeLessThan(2e-6));
    });
  });

  it('further scales: each tap sums its L2-normalised pooled vectors over the resized inputs, as in TF.js', async () => {
    const g = opCoverageGraph();
    const taps = ['gated', 'flat', 'dw'];
    const scales = [
      { height: 9, width: 8 },
      { height: 19, width: 16 },
    ];
    const pooling = { gated: GEM3, dw: AVG };
    const opts = { taps, pooling, weights: 'float32' as const };
    const converted = graphToOnnx(g.nodes, g.weights, { ...opts, scales, output: 'pooled' });
    const ours = await runConverted(converted, x, dims);
    // TF.js: the graph at each size, on its input resized bilinearly with half-pixel centres.
    const expected = taps.map(() => new Float32Array(0));
    for (const size of [{ height: dims[2], width: dims[3] }, ...scales]) {
      const graph = await loadTfjsGraph(g, [size.height, size.width]);
      const input = nhwcResized(x, dims, [size.height, size.width]);
      const outs = graph.execute(input, taps) as tf.Tensor[];
      taps.forEach((t, k) => {
        const pooled = tfjsPool(outs[k], pooling[t as keyof typeof pooling] ?? AVG);
        const unit = embeddingFromPooled([pooled], dims[0]).flatMap((row) => Array.from(row));
        expected[k] = expected[k].length ? expected[k].map((v, i) => v + unit[i]) : Float32Array.from(unit);
      });
      tf.dispose([input, ...outs]);
      graph.dispose();
    }
    taps.forEach((t, k) => {
      expect(ours[k].length, t).toBe(expected[k].length);
      ours[k].forEach((v, i) => expect(Math.abs(v - expected[k][i]), t).toBeLessThan(1e-4));
    });
    // The passes read one copy of each conv's weights.
    const single = graphToOnnx(g.nodes, g.weights, { ...opts, output: 'pooled' });
    const initializers = (m: ConvertedModel) =>
      onnx.ModelProto.decode(m.onnx).graph!.initializer!.filter((i) => /_[WB]$/.test(i.name!)).length;
    expect(initializers(converted)).toBe(initializers(single));
    expect(initializers(single)).toBe(8);
  });

  it('names the node of an unsupported op, fused op or attribute', () => {
    const g = opCoverageGraph();
    g.op('squashed', 'Tanh', ['relu']);
    const convert = (tap: string) => () =>
      graphToOnnx(g.nodes, g.weights, { taps: [tap], output: 'embedding', weights: 'float32' });
    expect(convert('squashed')).toThrow(/node 'squashed' \(Tanh\): unsupported op/);
    g.add(
      fusedConv('leaky', '_FusedConv2D', ['relu', 'w3', 'b3'], {
        padding: 'SAME',
        fused: ['BiasAdd', 'LeakyRelu'],
      }),
    );
    expect(convert('leaky')).toThrow(/node 'leaky' \(_FusedConv2D\): fused_ops \[BiasAdd, LeakyRelu\]/);
    g.add(
      fusedConv('nchw', '_FusedConv2D', ['relu', 'w3', 'b3'], {
        padding: 'SAME',
        fused: ['BiasAdd'],
        format: 'NCHW',
      }),
    );
    expect(convert('nchw')).toThrow(/node 'nchw' \(_FusedConv2D\): data_format NCHW/);
    expect(convert('nowhere')).toThrow(/tap 'nowhere': no node/);
  });
});

describe('the shared pooling head in the Keras converter', () => {
  it('GeM (p = 3) at a Keras layer matches TF.js; explicit avg is the default, byte for byte', async () => {
    const keras = loadNsfwjsModel('mobilenet_v2');
    const [avgLayer, gemLayer] = ['block_6_expand_relu', 'block_13_expand_relu'];
    const base = { layers: [avgLayer, gemLayer], output: 'pooled' as const, weights: 'float32' as const };
    const byDefault = kerasToOnnx(keras.topology, keras.weights, base).onnx;
    const explicitAvg = kerasToOnnx(keras.topology, keras.weights, {
      ...base,
      pooling: { [avgLayer]: AVG, [gemLayer]: AVG },
    }).onnx;
    expect(Buffer.from(explicitAvg).equals(Buffer.from(byDefault))).toBe(true);

    const images = await emojiFixtures([
      ['apple', '1F600'],
      ['twitter', '1F34E'],
    ]);
    const dims = [images.length, 3, 224, 224];
    const x = preprocessBatch(images, NSFWJS_EMBEDDINGS.mobilenet_v2.input);
    const converted = kerasToOnnx(keras.topology, keras.weights, { ...base, pooling: { [gemLayer]: GEM3 } });
    const [avg, gem] = await runConverted(converted, x, dims);

    const reference = await loadTfjsModel(keras);
    const [refAvg] = tfjsPooled(reference, [avgLayer], x, dims);
    const tapped = tf.model({
      inputs: reference.inputs,
      outputs: reference.getLayer(gemLayer).output as tf.SymbolicTensor,
    });
    const [activation] = tfjsActivations(tapped, x, dims);
    const refGem = tfjsPool(activation, GEM3);
    tf.dispose(activation);
    expect(minRowCosine(avg, refAvg, images.length)).toBeGreaterThanOrEqual(0.99999);
    expect(minRowCosine(gem, refGem, images.length)).toBeGreaterThanOrEqual(0.99999);
  });

  it('the companion network (blocks 10 + 13, GeM) at 128 px matches TF.js at 128 px', async () => {
    const keras = loadNsfwjsModel('mobilenet_v2');
    const { layers, pooling } = COMPANION_TAPS.mobilenet_v2!;
    const side = 128;
    const images = await emojiFixtures([
      ['apple', '1F600'],
      ['google', '1F436'],
    ]);
    const dims = [images.length, 3, side, side];
    const x = preprocessBatch(images, { ...NSFWJS_EMBEDDINGS.mobilenet_v2.input, width: side, height: side });
    const converted = kerasToOnnx(keras.topology, keras.weights, {
      layers,
      pooling,
      inputSize: { height: side, width: side },
      output: 'pooled',
      weights: 'float32',
    });
    const ours = await runConverted(converted, x, dims);
    // TF.js at the same side: the topology up to the last tap, its input layer resized (the classifier
    // head's pooling does not fit 128 px).
    type Layer = { name: string; config: { batch_input_shape?: (number | null)[] } };
    const topology = structuredClone(keras.modelTopology) as {
      model_config: { config: { layers: Layer[]; output_layers: unknown[] } };
    };
    const config = topology.model_config.config;
    const last = config.layers.findIndex((l) => l.name === layers[layers.length - 1]);
    config.layers = config.layers.slice(0, last + 1);
    config.layers[0].config.batch_input_shape = [null, side, side, 3];
    config.output_layers = [[layers[layers.length - 1], 0, 0]];
    const kept = new Set(config.layers.map((l) => l.name));
    const weightSpecs = keras.weightSpecs.filter((w) => kept.has(w.name.split('/')[0]));
    const reference = await loadTfjsModel({ ...keras, modelTopology: topology, weightSpecs });
    for (const [k, layer] of layers.entries()) {
      const tapped = tf.model({
        inputs: reference.inputs,
        outputs: reference.getLayer(layer).output as tf.SymbolicTensor,
      });
      const [activation] = tfjsActivations(tapped, x, dims);
      const ref = tfjsPool(activation, pooling[layer]);
      tf.dispose(activation);
      expect(minRowCosine(ours[k], ref, images.length)).toBeGreaterThanOrEqual(0.9999);
    }
  });
});
