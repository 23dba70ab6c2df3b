import * as ort from 'onnxruntime-node';
import { preprocessBatch } from '../core/preprocess';
import type { ModelSpec } from '../core/modelSpec';
import { calibrationImages } from './calibrationImages';
import { quantizePerChannel } from './convertShared';
import { initializerTensor, onnx, type GraphProto, type NodeProto } from './onnxGraph';
import { appendToGraph } from './onnxGraphEdit';

/*
 * Static int8 quantization of a converted float32 model, in ONNX's QDQ form: every activation a
 * convolution reads or writes passes through QuantizeLinear → DequantizeLinear (uint8, one range per
 * tensor), every convolution's weights are int8 per output channel and its bias int32, each behind a
 * DequantizeLinear. onnxruntime fuses each DequantizeLinear → Conv → QuantizeLinear group into one int8
 * convolution (QLinearConv; residual Adds into QLinearAdd), in Node and in onnxruntime-web's WASM build
 * alike, so the model runs on integer kernels (docs/model.md, "The model in int8"). Pooling, the
 * colour block and the head stay float32: they read the dequantized values.
 *
 * Ranges: a Clip's output has its clip bounds (the networks' ReLU6s, the companion's standardised input);
 * every other tensor the range the float model gives it over calibrationImages(), rounded outwards to a
 * multiple of RANGE_STEP so that a machine whose float kernels round differently builds the same bytes.
 */

/** How many calibration images the ranges are taken over. */
const CALIBRATION_IMAGES = 64;
/** Calibrated range ends are rounded outwards to a multiple of this. */
const RANGE_STEP = 1 / 16;
const BATCH = 16;
/**
 * onnxruntime's int8 matrix kernels on x86 CPUs with AVX2 but without VNNI multiply uint8 activations by
 * int8 weights two at a time and add each pair in 16 bits (vpmaddubsw), which saturates when both
 * activations are near 255 and the two weights of one sign sum past 128; VNNI, ARM and the browser's
 * WASM kernels add in 32 bits. So that a build on such a machine gives the vectors the page computes,
 * a convolution's channel scale keeps any two of its weights of one sign within 127 levels together
 * (128 after rounding: 255 × 128 fits in 16 bits). onnxruntime's own `reduce_range` keeps every weight
 * within 64 instead. Depthwise convolutions are exempt: those kernels widen to 16 bits before multiplying.
 */
const PAIR_LIMIT = 127;

type Tensor = NonNullable<GraphProto['initializer']>[number];
type Node = NodeProto;
const { DataType } = onnx.TensorProto;
const INT = onnx.AttributeProto.AttributeType.INT;

/** `model` (float32 weights, one NCHW float input) with int8 convolutions; `input` says how images feed it. */
export async function quantizeStatically(model: Uint8Array, input: ModelSpec['input']): Promise<Uint8Array> {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  const nodes = graph.node!;
  const initializers = new Map(graph.initializer!.map((t) => [t.name!, t]));
  const producers = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const n of nodes) {
    for (const o of n.output!) producers.set(o, n);
    for (const i of n.input!) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  const convs = nodes.filter((n) => n.opType === 'Conv' && !initializers.has(n.input![0]));
  if (convs.length === 0) throw new Error('quantizeStatically: the model has no convolution to quantize');

  // The tensors to quantize: each Conv's input and output (after its Clip, which the int8 range then
  // applies), and residual Adds of two quantized tensors.
  const quantized = new Set<string>();
  for (const conv of convs) {
    quantized.add(conv.input![0]);
    const out = conv.output![0];
    const readers = consumers.get(out) ?? [];
    if (readers.length > 0 && readers.every((n) => n.opType === 'Clip'))
      for (const clip of readers) quantized.add(clip.output![0]);
    else quantized.add(out);
  }
  for (const n of nodes)
    if (n.opType === 'Add' && n.input!.every((i) => quantized.has(i))) quantized.add(n.output![0]);

  const ranges = new Map<string, [number, number]>();
  const toCalibrate: string[] = [];
  for (const name of quantized) {
    const bounds = clipBounds(producers.get(name), initializers);
    if (bounds) ranges.set(name, bounds);
    else toCalibrate.push(name);
  }
  for (const [name, range] of await calibratedRanges(model, input, toCalibrate)) ranges.set(name, range);

  const added: Node[] = [];
  const addedInitializers: Tensor[] = [];
  const scales = new Map<string, number>();
  for (const [name, [lo, hi]] of ranges) {
    const scale = (hi - lo) / 255 || 1;
    const zero = Math.min(255, Math.max(0, Math.round(-lo / scale)));
    scales.set(name, scale);
    addedInitializers.push(
      initializerTensor(`${name}_qscale`, 'float32', [], Float32Array.of(scale)),
      initializerTensor(`${name}_qzero`, 'uint8', [], Uint8Array.of(zero)),
    );
  }
  const dequantizedName = (name: string) => (quantized.has(name) ? `${name}_dq` : name);
  const weightScales = new Map<string, Float32Array>();
  const rewritten: Node[] = [];
  for (const node of nodes) {
    if (convs.includes(node)) {
      const [x, w, b] = node.input!;
      const weight = float32Initializer(initializers, w, node);
      if (!weightScales.has(w)) {
        const dims = weight.dims!.map(Number);
        const group = Number(node.attribute?.find((a) => a.name === 'group')?.i ?? 1);
        const depthwise = group > 1 && group === dims[0];
        const { q, scales: channelScales } = quantizePerChannel(
          float32Values(weight),
          dims,
          0,
          depthwise ? undefined : PAIR_LIMIT,
        );
        weightScales.set(w, channelScales);
        addedInitializers.push(
          initializerTensor(`${w}_q`, 'int8', dims, q),
          initializerTensor(`${w}_qscale`, 'float32', [dims[0]], channelScales),
          initializerTensor(`${w}_qzero`, 'int8', [dims[0]], new Int8Array(dims[0])),
        );
        added.push(dequantize(`${w}_q`, w, `${w}_dq`, 0));
      }
      const inputs = [dequantizedName(x), `${w}_dq`];
      if (b) {
        // The bias is stored in the product's scale (input scale × each channel's weight scale), as the
        // integer convolution accumulates it; a Conv's weights may be shared, its bias name is its own.
        const bias = float32Values(float32Initializer(initializers, b, node));
        const biasScales = Float32Array.from(weightScales.get(w)!, (s) => s * scales.get(x)!);
        const q = Int32Array.from(bias, (v, c) =>
          Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / biasScales[c]))),
        );
        const name = `${node.output![0]}_bias`;
        addedInitializers.push(
          initializerTensor(`${name}_q`, 'int32', [q.length], q),
          initializerTensor(`${name}_qscale`, 'float32', [q.length], biasScales),
          initializerTensor(`${name}_qzero`, 'int32', [q.length], new Int32Array(q.length)),
        );
        rewritten.push(dequantize(`${name}_q`, name, `${name}_dq`, 0));
        inputs.push(`${name}_dq`);
      }
      node.input = inputs;
    } else {
      node.input = node.input!.map(dequantizedName);
    }
    rewritten.push(node);
    for (const out of node.output!)
      if (quantized.has(out)) {
        rewritten.push({
          opType: 'QuantizeLinear',
          name: `${out}_quantize`,
          input: [out, `${out}_qscale`, `${out}_qzero`],
          output: [`${out}_q`],
        });
        rewritten.push(dequantize(`${out}_q`, out, `${out}_dq`));
      }
  }
  // Graph inputs are never Clip or Conv outputs, but the model input itself may feed a Conv directly.
  const head = [...quantized]
    .filter((name) => !producers.has(name))
    .flatMap((name) => [
      {
        opType: 'QuantizeLinear',
        name: `${name}_quantize`,
        input: [name, `${name}_qscale`, `${name}_qzero`],
        output: [`${name}_q`],
      },
      dequantize(`${name}_q`, name, `${name}_dq`),
    ]);
  graph.node = [...added, ...head, ...rewritten];
  graph.initializer = [...graph.initializer!, ...addedInitializers];
  withoutUnused(graph);
  return onnx.ModelProto.encode(proto).finish();
}

/** A Clip's [min, max] when both are constants (the range of its output), else undefined. */
function clipBounds(node: Node | undefined, initializers: Map<string, Tensor>): [number, number] | undefined {
  if (node?.opType !== 'Clip') return undefined;
  const [, lo, hi] = node.input!;
  const min = lo ? initializers.get(lo) : undefined;
  const max = hi ? initializers.get(hi) : undefined;
  if (!min || !max) return undefined;
  return [Math.min(0, float32Values(min)[0]), Math.max(0, float32Values(max)[0])];
}

/** Each tensor's [min, max] (0 included) over the calibration images, rounded outwards to RANGE_STEP. */
async function calibratedRanges(
  model: Uint8Array,
  input: ModelSpec['input'],
  names: string[],
): Promise<Map<string, [number, number]>> {
  const ranges = new Map<string, [number, number]>(names.map((n) => [n, [0, 0]]));
  if (names.length === 0) return ranges;
  const probe = appendToGraph(model, {
    outputs: names.map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } })),
  });
  const session = await ort.InferenceSession.create(probe, {
    executionProviders: ['cpu'],
  });
  try {
    const images = calibrationImages(CALIBRATION_IMAGES);
    for (let start = 0; start < images.length; start += BATCH) {
      const batch = images.slice(start, start + BATCH);
      const x = preprocessBatch(batch, input);
      const out = await session.run(
        { [input.name]: new ort.Tensor('float32', x, [batch.length, 3, input.height, input.width]) },
        names,
      );
      for (const name of names) {
        const range = ranges.get(name)!;
        for (const v of out[name].data as Float32Array) {
          if (v < range[0]) range[0] = v;
          else if (v > range[1]) range[1] = v;
        }
      }
    }
  } finally {
    await session.release();
  }
  for (const range of ranges.values()) {
    range[0] = Math.floor(range[0] / RANGE_STEP) * RANGE_STEP;
    range[1] = Math.ceil(range[1] / RANGE_STEP) * RANGE_STEP;
  }
  return ranges;
}

function dequantize(quantizedName: string, base: string, output: string, axis?: number): Node {
  return {
    opType: 'DequantizeLinear',
    name: `${output}_node`,
    input: [quantizedName, `${base}_qscale`, `${base}_qzero`],
    output: [output],
    ...(axis === undefined ? {} : { attribute: [{ name: 'axis', type: INT, i: axis }] }),
  };
}

function float32Initializer(initializers: Map<string, Tensor>, name: string, node: Node): Tensor {
  const t = initializers.get(name);
  if (t?.dataType !== DataType.FLOAT)
    throw new Error(
      `quantizeStatically: ${node.name} reads ${name}, which is not a float32 initializer (convert with float32 weights)`,
    );
  return t;
}

function float32Values(t: Tensor): Float32Array {
  if (t.rawData && t.rawData.byteLength > 0) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Drops nodes and initializers that no graph output depends on (the float weights replaced above). */
function withoutUnused(graph: GraphProto): void {
  for (;;) {
    const used = new Set(graph.output!.map((o) => o.name!));
    for (const n of graph.node!) for (const i of n.input!) used.add(i);
    const kept = graph.node!.filter((n) => n.output!.some((o) => used.has(o)));
    graph.initializer = graph.initializer!.filter((t) => used.has(t.name!));
    if (kept.length === graph.node!.length) return;
    graph.node = kept;
  }
}
