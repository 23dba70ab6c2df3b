import {
  clip,
  convKernelToOihw,
  convNode,
  convOutSize,
  convWeights,
  depthwiseKernelToOihw,
  describeTaps,
  outputHead,
  pooledVector,
  resizeNchw,
  samePads2d,
  type ConvertedModel,
  type ConvParams,
  type ConvWeights,
  type HeadOptions,
  type TapTensor,
} from './convertShared';
import type { DecodedWeight, GraphAttr, GraphNode } from './nsfwjsModel';
import { OnnxGraph, valueInfo } from './onnxGraph';

/*
 * Converts a TF.js graph model (a frozen TF GraphDef, NHWC, as tensorflowjs_converter writes it) into an
 * NCHW ONNX graph whose output is an image embedding: the pooled activations of chosen ("tapped") nodes.
 * Only what the taps depend on is converted, so the graph ends at the deepest tap, and the input size is a
 * parameter (the graph must be fully convolutional up to the taps).
 *
 * Layout: every rank-4 tensor is NHWC in TF and NCHW here; constants that meet a rank-4 tensor are
 * transposed to match, other tensors keep TF's layout. Supported ops: see SUPPORTED_OPS.
 */

export interface GraphConvertOptions extends HeadOptions {
  /**
   * Nodes whose pooled activations form the output: a full node name, or the part after the last
   * `predict/` (TF-Hub modules' prefix). `pooling` is keyed by these strings as given.
   */
  taps: string[];
  /** Runs the graph at this input size instead of the Placeholder's (required when it is dynamic). */
  inputSize?: { height: number; width: number };
  /**
   * Further passes of the same weights over the input resized (bilinear) to these sizes. Each tap's pooled
   * vector is then the sum of its L2-normalised pooled vectors over all passes, the input's own first:
   * multi-scale pooling, so a pattern counts at more than one size relative to the network's receptive
   * fields. The model input and the colour block stay at `inputSize`.
   */
  scales?: { height: number; width: number }[];
}

const SUPPORTED_OPS = [
  'Placeholder',
  'Const',
  'Identity',
  '_FusedConv2D',
  'FusedDepthwiseConv2dNative',
  'Add',
  'AddV2',
  'Sub',
  'Mul',
  'Relu',
  'Relu6',
  'Mean',
  'Pad',
  'ConcatV2',
] as const;

/** The name without the TF-Hub module prefix: `.../predict/MobilenetV2/Conv/Relu6` → `MobilenetV2/Conv/Relu6`. */
export function shortNodeName(name: string): string {
  const at = name.lastIndexOf('predict/');
  return at < 0 ? name : name.slice(at + 'predict/'.length);
}

/** A computed tensor: its ONNX name and its TF shape (batch -1); rank 4 means NHWC in TF, NCHW in ONNX. */
interface Computed {
  kind: 'tensor';
  name: string;
  dims: number[];
}

interface Constant {
  kind: 'const';
  weight: DecodedWeight;
}

type Value = Computed | Constant;

/** TF NHWC axis → ONNX NCHW axis. */
const NCHW_AXIS = [0, 2, 3, 1];

const decodeString = (s: string) => Buffer.from(s, 'base64').toString('utf8');

function attr(node: GraphNode, key: string): GraphAttr | undefined {
  return node.attr?.[key];
}

function attrString(node: GraphNode, key: string): string | undefined {
  const s = attr(node, key)?.s;
  return s === undefined ? undefined : decodeString(s);
}

function attrInts(node: GraphNode, key: string): number[] | undefined {
  return attr(node, key)?.list?.i?.map(Number);
}

/** NumPy broadcasting of two TF shapes (-1 = the dynamic batch); undefined if incompatible. */
function broadcast(a: number[], b: number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else return undefined;
  }
  return out;
}

class GraphToOnnx {
  private readonly graph = new OnnxGraph();
  private readonly nodes = new Map<string, GraphNode>();
  /** Converted nodes of the current pass (one pass per input scale). */
  private values = new Map<string, Value>();
  private readonly visiting = new Set<string>();
  private readonly inputName: string;
  private inputShape: [number, number, number] | undefined;
  /** After the first pass: the resized input the Placeholder stands for. */
  private passInput: Computed | undefined;
  /** Conv weights by TF node name, stored once and read by every pass. */
  private readonly convTensors = new Map<string, ConvWeights>();

  constructor(
    nodes: GraphNode[],
    private readonly weights: Map<string, DecodedWeight>,
    private readonly opts: GraphConvertOptions,
  ) {
    for (const node of nodes) this.nodes.set(node.name, node);
    // Reserved first, so no other tensor can take the input's name.
    this.inputName = this.graph.fresh(opts.inputName ?? 'input');
  }

  private fail(node: GraphNode, message: string): never {
    throw new Error(`node '${shortNodeName(node.name)}' (${node.op}): ${message}`);
  }

  private resolveTap(tap: string): GraphNode {
    const exact = this.nodes.get(tap);
    if (exact) return exact;
    const matches = [...this.nodes.values()].filter((n) => shortNodeName(n.name) === tap);
    if (matches.length === 1) return matches[0];
    if (matches.length > 1)
      throw new Error(`tap '${tap}' is ambiguous: ${matches.map((n) => n.name).join(', ')}`);
    throw new Error(`tap '${tap}': no node is named so (or ends in 'predict/${tap}')`);
  }

  /** The node's data inputs (control inputs "^x" dropped), each as a node name; only output 0 is supported. */
  private dataInputs(node: GraphNode): string[] {
    return (node.input ?? [])
      .filter((ref) => !ref.startsWith('^'))
      .map((ref) => {
        const m = /^(.*):(\d+)$/.exec(ref);
        if (m && m[2] !== '0') this.fail(node, `input ${ref}: only a node's first output is supported`);
        return m ? m[1] : ref;
      });
  }

  private inputs(node: GraphNode, count: number): string[] {
    const refs = this.dataInputs(node);
    if (refs.length !== count) this.fail(node, `expected ${count} inputs, got ${refs.length}`);
    return refs;
  }

  private value(ref: string, consumer: GraphNode): Value {
    const known = this.values.get(ref);
    if (known) return known;
    const node = this.nodes.get(ref);
    if (!node) this.fail(consumer, `input '${ref}' is not in the graph`);
    if (this.visiting.has(ref)) this.fail(node, 'the graph has a cycle');
    this.visiting.add(ref);
    const value = this.convertNode(node);
    this.visiting.delete(ref);
    this.values.set(ref, value);
    return value;
  }

  private tensor(ref: string, consumer: GraphNode): Computed {
    const v = this.value(ref, consumer);
    if (v.kind !== 'tensor')
      this.fail(consumer, `input '${shortNodeName(ref)}' must be computed, not a Const`);
    return v;
  }

  private constant(ref: string, consumer: GraphNode): DecodedWeight {
    const v = this.value(ref, consumer);
    if (v.kind !== 'const') this.fail(consumer, `input '${shortNodeName(ref)}' must be a Const`);
    return v.weight;
  }

  private rank4(t: Computed, node: GraphNode): { h: number; w: number; c: number } {
    if (t.dims.length !== 4) this.fail(node, `needs a 4-D NHWC input, got [${t.dims}]`);
    return { h: t.dims[1], w: t.dims[2], c: t.dims[3] };
  }

  private computed(name: string, dims: number[]): Computed {
    return { kind: 'tensor', name, dims };
  }

  private convertNode(node: GraphNode): Value {
    const dtype = attr(node, 'T')?.type ?? attr(node, 'dtype')?.type;
    if (dtype !== undefined && dtype !== 'DT_FLOAT' && node.op !== 'Const')
      this.fail(node, `dtype ${dtype} is not supported (float32 only)`);
    const name = shortNodeName(node.name);
    switch (node.op) {
      case 'Placeholder':
        return this.placeholder(node);
      case 'Const': {
        const weight = this.weights.get(node.name);
        if (!weight) this.fail(node, 'no value in the weights manifest');
        return { kind: 'const', weight };
      }
      case 'Identity':
        return this.value(this.inputs(node, 1)[0], node);
      case '_FusedConv2D':
      case 'FusedDepthwiseConv2dNative':
        return this.conv(node);
      case 'Add':
      case 'AddV2':
        return this.binary(node, 'Add');
      case 'Sub':
        return this.binary(node, 'Sub');
      case 'Mul':
        return this.binary(node, 'Mul');
      case 'Relu':
      case 'Relu6': {
        const x = this.tensor(this.inputs(node, 1)[0], node);
        const out =
          node.op === 'Relu' ? this.graph.node('Relu', [x.name], name) : clip(this.graph, x.name, 0, 6, name);
        return this.computed(out, x.dims);
      }
      case 'Mean':
        return this.mean(node);
      case 'Pad':
        return this.pad(node);
      case 'ConcatV2':
        return this.concat(node);
      default:
        this.fail(node, `unsupported op (supported: ${SUPPORTED_OPS.join(', ')})`);
    }
  }

  private placeholder(node: GraphNode): Computed {
    if (this.passInput) return this.passInput;
    if (this.inputShape) this.fail(node, 'a second graph input; only one is supported');
    const dims = attr(node, 'shape')?.shape?.dim?.map((d) => Number(d.size));
    if (!dims || dims.length !== 4) this.fail(node, 'expected an NHWC [N, H, W, C] input shape');
    const [, fixedH, fixedW, c] = dims;
    const { height: h, width: w } = this.opts.inputSize ?? { height: fixedH, width: fixedW };
    if (!(c > 0 && h > 0 && w > 0)) this.fail(node, `input [${dims}] needs a fixed size: pass inputSize`);
    this.inputShape = [c, h, w];
    return this.computed(this.inputName, [-1, h, w, c]);
  }

  /** [top, left, bottom, right] for the node's padding attribute over an H×W input. */
  private convPads(
    node: GraphNode,
    size: [number, number],
    kernel: [number, number],
    strides: [number, number],
    dilations: [number, number],
  ): [number, number, number, number] {
    const padding = attrString(node, 'padding');
    const explicit = attrInts(node, 'explicit_paddings') ?? [];
    if (padding !== 'EXPLICIT' && explicit.length > 0)
      this.fail(node, `explicit_paddings [${explicit}] with padding ${padding}`);
    switch (padding) {
      case 'SAME':
        return samePads2d(size, kernel, strides, dilations);
      case 'VALID':
        return [0, 0, 0, 0];
      case 'EXPLICIT': {
        // NHWC pairs [[n0, n1], [h0, h1], [w0, w1], [c0, c1]].
        const [n0, n1, t, b, l, r, c0, c1] = explicit;
        if (explicit.length !== 8 || n0 || n1 || c0 || c1)
          this.fail(node, `explicit_paddings [${explicit}]: only H and W may be padded`);
        return [t, l, b, r];
      }
      default:
        this.fail(node, `unsupported padding ${JSON.stringify(padding)}`);
    }
  }

  /** `strides` / `dilations` [1, h, w, 1] as [h, w]. */
  private spatialPair(node: GraphNode, key: string): [number, number] {
    const v = attrInts(node, key) ?? [1, 1, 1, 1];
    if (v.length !== 4 || v[0] !== 1 || v[3] !== 1 || !(v[1] > 0 && v[2] > 0))
      this.fail(node, `${key} [${v}]: expected [1, h, w, 1]`);
    return [v[1], v[2]];
  }

  /** _FusedConv2D / FusedDepthwiseConv2dNative: convolution + BiasAdd (+ Relu / Relu6). */
  private conv(node: GraphNode): Computed {
    const depthwise = node.op === 'FusedDepthwiseConv2dNative';
    const fused = attr(node, 'fused_ops')?.list?.s?.map(decodeString) ?? [];
    const numArgs = Number(attr(node, 'num_args')?.i ?? 0);
    const activation = fused[1];
    if (fused[0] !== 'BiasAdd' || fused.length > 2 || (fused.length === 2 && !/^Relu6?$/.test(activation)))
      this.fail(node, `fused_ops [${fused.join(', ')}]: only BiasAdd with an optional Relu / Relu6`);
    if (numArgs !== 1) this.fail(node, `num_args ${numArgs}: expected 1 (the bias)`);
    const format = attrString(node, 'data_format') ?? 'NHWC';
    if (format !== 'NHWC') this.fail(node, `data_format ${format} is not supported (NHWC only)`);
    const [xRef, filterRef, biasRef] = this.inputs(node, 3);
    const x = this.tensor(xRef, node);
    const { h, w, c } = this.rank4(x, node);
    const filter = this.constant(filterRef, node);
    if (filter.shape.length !== 4) this.fail(node, `filter shape [${filter.shape}] is not 4-D`);
    const [kh, kw, cin, last] = filter.shape;
    if (cin !== c) this.fail(node, `filter expects ${cin} input channels, the input has ${c}`);
    const cout = depthwise ? cin * last : last;
    const bias = this.constant(biasRef, node);
    if (bias.values.length !== cout)
      this.fail(node, `bias has ${bias.values.length} values for ${cout} channels`);
    const strides = this.spatialPair(node, 'strides');
    const dilations = this.spatialPair(node, 'dilations');
    const pads = this.convPads(node, [h, w], [kh, kw], strides, dilations);
    const name = shortNodeName(node.name);
    const params: ConvParams = {
      input: x.name,
      kernel: depthwise ? depthwiseKernelToOihw(filter) : convKernelToOihw(filter),
      dims: [cout, depthwise ? 1 : cin, kh, kw],
      bias: bias.values,
      strides,
      dilations,
      pads,
      group: depthwise ? cin : 1,
      base: name,
      output: activation ? `${name}_preact` : name,
    };
    let shared = this.convTensors.get(node.name);
    if (!shared)
      this.convTensors.set(node.name, (shared = convWeights(this.graph, this.opts.weights, params)));
    let out = convNode(this.graph, this.opts.weights, params, shared);
    if (activation === 'Relu') out = this.graph.node('Relu', [out], name);
    if (activation === 'Relu6') out = clip(this.graph, out, 0, 6, name);
    const [oh, ow] = convOutSize([h, w], pads, [kh, kw], strides, dilations);
    return this.computed(out, [-1, oh, ow, cout]);
  }

  /** A constant operand of an elementwise op with a tensor of TF shape `like`, laid out as ONNX sees it. */
  private constOperand(weight: DecodedWeight, like: number[], node: GraphNode, base: string): string {
    const { shape, values } = weight;
    if (values.length === 1) return this.graph.initializer(base, 'float32', [], values);
    if (like.length !== 4) return this.graph.initializer(base, 'float32', shape, values);
    if (shape.length > 4) this.fail(node, `constant of shape [${shape}] against a 4-D tensor`);
    // Right-align to NHWC, then transpose to NCHW.
    const [n, h, w, c] = [...Array<number>(4 - shape.length).fill(1), ...shape];
    const out = new Float32Array(values.length);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < c; k++)
            out[((i * c + k) * h + y) * w + x] = values[((i * h + y) * w + x) * c + k];
    return this.graph.initializer(base, 'float32', [n, c, h, w], out);
  }

  /** Add / AddV2 / Sub / Mul with NumPy broadcasting; one side may be a Const. */
  private binary(node: GraphNode, op: 'Add' | 'Sub' | 'Mul'): Computed {
    const name = shortNodeName(node.name);
    const operands = this.inputs(node, 2).map((ref) => this.value(ref, node));
    const tensors = operands.filter((v): v is Computed => v.kind === 'tensor');
    if (tensors.length === 0) this.fail(node, 'both operands are constants (not folded)');
    if (tensors.some((t) => (t.dims.length === 4) !== (tensors[0].dims.length === 4)))
      this.fail(node, 'mixes a 4-D tensor with a tensor of another rank');
    const shapes = operands.map((v) => (v.kind === 'tensor' ? v.dims : v.weight.shape));
    const dims = broadcast(shapes[0], shapes[1]);
    if (!dims) this.fail(node, `shapes [${shapes[0]}] and [${shapes[1]}] do not broadcast`);
    const constIndex = operands.findIndex((v) => v.kind === 'const');
    if (constIndex >= 0 && dims.join() !== tensors[0].dims.join())
      this.fail(
        node,
        `a constant of shape [${shapes[constIndex]}] would reshape the tensor [${tensors[0].dims}]`,
      );
    const names = operands.map((v, i) =>
      v.kind === 'tensor' ? v.name : this.constOperand(v.weight, tensors[0].dims, node, `${name}_${'ab'[i]}`),
    );
    return this.computed(this.graph.node(op, names, name), dims);
  }

  /** Integer values of a Const input, e.g. axes. */
  private ints(ref: string, node: GraphNode): number[] {
    return Array.from(this.constant(ref, node).values, (v) => {
      if (!Number.isInteger(v)) this.fail(node, `expected integer constants, got ${v}`);
      return v;
    });
  }

  private axis(a: number, rank: number, node: GraphNode): number {
    const axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank) this.fail(node, `axis ${a} out of range for rank ${rank}`);
    return axis;
  }

  private onnxAxis(tfAxis: number, rank: number): number {
    return rank === 4 ? NCHW_AXIS[tfAxis] : tfAxis;
  }

  private mean(node: GraphNode): Value {
    const [xRef, axesRef] = this.inputs(node, 2);
    const x = this.tensor(xRef, node);
    const rank = x.dims.length;
    const axes = [...new Set(this.ints(axesRef, node).map((a) => this.axis(a, rank, node)))].sort(
      (a, b) => a - b,
    );
    if (axes.length === 0) return x;
    if (axes.includes(0)) this.fail(node, 'averaging over the batch is not supported');
    const keep = attr(node, 'keep_dims')?.b === true;
    const kept = x.dims.map((_, i) => i).filter((i) => !axes.includes(i));
    // Without keep_dims the rest must come out in TF's order: NCHW must not reorder the kept axes.
    const onnxKept = kept.map((i) => this.onnxAxis(i, rank));
    if (!keep && onnxKept.some((a, i) => i > 0 && a < onnxKept[i - 1]))
      this.fail(node, `averaging axes [${axes}] without keep_dims would leave the NCHW axes out of TF order`);
    const out = this.graph.node('ReduceMean', [x.name], shortNodeName(node.name), {
      axes: axes.map((a) => this.onnxAxis(a, rank)).sort((a, b) => a - b),
      keepdims: keep ? 1 : 0,
    });
    const dims = keep ? x.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((i) => x.dims[i]);
    return this.computed(out, dims);
  }

  private pad(node: GraphNode): Computed {
    const [xRef, padsRef] = this.inputs(node, 2);
    const x = this.tensor(xRef, node);
    const rank = x.dims.length;
    const flat = this.ints(padsRef, node);
    if (flat.length !== 2 * rank) this.fail(node, `paddings of ${flat.length} values for rank ${rank}`);
    if (flat[0] || flat[1]) this.fail(node, 'padding the batch is not supported');
    const begins = new Array<number>(rank);
    const ends = new Array<number>(rank);
    for (let i = 0; i < rank; i++) {
      begins[this.onnxAxis(i, rank)] = flat[2 * i];
      ends[this.onnxAxis(i, rank)] = flat[2 * i + 1];
    }
    const name = shortNodeName(node.name);
    const pads = this.graph.initializer(`${name}_pads`, 'int64', [2 * rank], [...begins, ...ends]);
    const dims = x.dims.map((d, i) => (i === 0 ? d : d + flat[2 * i] + flat[2 * i + 1]));
    return this.computed(this.graph.node('Pad', [x.name, pads], name), dims);
  }

  private concat(node: GraphNode): Computed {
    const refs = this.dataInputs(node);
    const n = Number(attr(node, 'N')?.i ?? refs.length - 1);
    if (refs.length !== n + 1 || n < 1) this.fail(node, `expected ${n} tensors and an axis`);
    const parts = refs.slice(0, n).map((ref) => this.tensor(ref, node));
    const [axisValue] = this.ints(refs[n], node);
    const rank = parts[0].dims.length;
    const axis = this.axis(axisValue, rank, node);
    if (axis === 0) this.fail(node, 'concatenating over the batch is not supported');
    const dims = [...parts[0].dims];
    for (const p of parts.slice(1)) {
      if (p.dims.length !== rank || p.dims.some((d, i) => i !== axis && d !== dims[i]))
        this.fail(node, `shapes [${parts[0].dims}] and [${p.dims}] do not concatenate over axis ${axis}`);
      dims[axis] += p.dims[axis];
    }
    const out = this.graph.node(
      'Concat',
      parts.map((p) => p.name),
      shortNodeName(node.name),
      { axis: this.onnxAxis(axis, rank) },
    );
    return this.computed(out, dims);
  }

  /** One pass over the graph: each tap's pooled vector (all taps converted first, then pooled). */
  private pooledTaps(): { name: string; dim: number }[] {
    const { taps } = this.opts;
    const tapped = taps.map((tap) => {
      const node = this.resolveTap(tap);
      const v = this.value(node.name, node);
      if (v.kind !== 'tensor') throw new Error(`tap '${tap}' is a Const`);
      if (v.dims.length !== 4 && v.dims.length !== 2)
        throw new Error(`tap '${tap}': [${v.dims}] is neither NHWC nor [N, features]`);
      return v;
    });
    return tapped.map((t, i) => {
      const tap: TapTensor =
        t.dims.length === 4
          ? { name: t.name, rank: 4, channels: t.dims[3] }
          : { name: t.name, rank: 2, features: t.dims[1] };
      return pooledVector(this.graph, tap, taps[i], this.opts.pooling?.[taps[i]]);
    });
  }

  /** The model input resized to `size` (bilinear, half-pixel centres), as the Placeholder of a new pass. */
  private resizedInput(size: { height: number; width: number }): Computed {
    const [c] = this.inputShape!;
    const { height, width } = size;
    if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0))
      throw new Error(`scale ${height}×${width}: sizes must be positive integers`);
    const resized = resizeNchw(this.graph, this.inputName, height, width, `scale${height}x${width}`);
    return this.computed(resized, [-1, height, width, c]);
  }

  convert(): ConvertedModel {
    const { taps } = this.opts;
    if (taps.length === 0) throw new Error('convert: name at least one tap');
    let pooled = this.pooledTaps();
    if (!this.inputShape) throw new Error('convert: the taps do not depend on the graph input');
    const [c, h, w] = this.inputShape;
    const scales = this.opts.scales ?? [];
    if (scales.length > 0) {
      const passes = [pooled];
      for (const size of scales) {
        this.values = new Map();
        this.passInput = this.resizedInput(size);
        passes.push(this.pooledTaps());
      }
      pooled = taps.map((tap, i) => {
        const unit = passes.map((p) =>
          this.graph.node('LpNormalization', [p[i].name], `${tap}_scale_l2`, { axis: 1, p: 2 }),
        );
        return { name: this.graph.node('Sum', unit, `${tap}_scales`), dim: passes[0][i].dim };
      });
    }
    const outputs = outputHead(this.graph, pooled, taps, this.opts, this.inputName);
    const onnx = this.graph.toBytes({
      name: this.opts.graphName ?? 'embedding',
      inputs: [valueInfo(this.inputName, ['N', c, h, w])],
      outputs: outputs.map((o) => valueInfo(o.name, ['N', o.dim])),
      docString: `Converted from a TF.js graph model by lookalike: pooled ${describeTaps(taps, this.opts.pooling)}${scales.length ? ` at ${h}×${w}, ${scales.map((s) => `${s.height}×${s.width}`).join(', ')}` : ''} (${this.opts.weights} weights)`,
    });
    return { onnx, inputName: this.inputName, inputShape: [c, h, w], outputs };
  }
}

/** Converts the part of a TF.js graph model that `opts.taps` depend on into an NCHW ONNX model. */
export function graphToOnnx(
  nodes: GraphNode[],
  weights: Map<string, DecodedWeight>,
  opts: GraphConvertOptions,
): ConvertedModel {
  return new GraphToOnnx(nodes, weights, opts).convert();
}
