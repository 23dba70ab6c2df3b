import {
  clip,
  convKernelToOihw,
  convNode,
  convOutSize,
  depthwiseKernelToOihw,
  describeTaps,
  outputHead,
  pooledVector,
  samePads2d,
  storeWeights,
  type ConvertedModel,
  type HeadOptions,
} from './convertShared';
import type { DecodedWeight, KerasLayer, KerasTopology } from './nsfwjsModel';
import { OnnxGraph, valueInfo } from './onnxGraph';

/*
 * Converts a Keras functional model (TF.js layers topology, channels_last) into an NCHW ONNX graph whose
 * output is an image embedding: the global-average-pooled activations of chosen layers.
 *
 * Folding: BatchNormalization into the preceding convolution, ZeroPadding2D into the following
 * convolution's pads, Dropout to identity. Layers that no requested output depends on are dropped.
 * The pooling / embedding head is shared with the TF graph converter (convertShared.ts).
 */

export type { WeightEncoding } from './convertShared';

interface ConvertOptions extends HeadOptions {
  /** Keras layers whose pooled activations form the output (`pooling` is keyed by these names). */
  layers: string[];
  /** Runs the model at this input size instead of the InputLayer's (only for fully convolutional graphs). */
  inputSize?: { height: number; width: number };
}

type Shape = { rank: 4; c: number; h: number; w: number } | { rank: 2; f: number };

interface Tensor {
  name: string;
  shape: Shape;
  /** ZeroPadding2D not yet applied: [top, left, bottom, right], folded into a consuming conv when possible. */
  pendingPad?: [number, number, number, number];
}

const CONV_TYPES = new Set(['Conv2D', 'DepthwiseConv2D']);

function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]];
  throw new Error(`${what}: expected a number or a pair, got ${JSON.stringify(v)}`);
}

function zeroPadding(layer: KerasLayer): [number, number, number, number] {
  const p = layer.config.padding;
  if (Array.isArray(p) && p.length === 2 && Array.isArray(p[0]) && Array.isArray(p[1])) {
    const [[t, b], [l, r]] = p as [[number, number], [number, number]];
    return [t, l, b, r];
  }
  const [h, w] = pair(p, `${layer.name}.padding`);
  return [h, w, h, w];
}

class KerasToOnnx {
  private readonly graph = new OnnxGraph();
  private readonly tensors = new Map<string, Tensor>();
  private readonly layersByName = new Map<string, KerasLayer>();
  private readonly consumers = new Map<string, string[]>();
  private inputShape: [number, number, number] | undefined;
  private readonly inputName: string;

  constructor(
    private readonly topology: KerasTopology,
    private readonly weights: Map<string, DecodedWeight>,
    private readonly opts: ConvertOptions,
  ) {
    this.inputName = opts.inputName ?? 'input';
    for (const layer of topology.layers) this.layersByName.set(layer.name, layer);
  }

  private inbound(layer: KerasLayer): string[] {
    if (layer.inbound_nodes.length > 1)
      throw new Error(`layer ${layer.name}: shared layers are not supported`);
    return (layer.inbound_nodes[0] ?? []).map(([name, node, index]) => {
      if (node !== 0 || index !== 0)
        throw new Error(`layer ${layer.name}: multi-output inbound ${name} not supported`);
      return name;
    });
  }

  /** Layers the outputs depend on, in topology order. */
  private neededLayers(): KerasLayer[] {
    const needed = new Set<string>();
    const stack = [...this.opts.layers];
    while (stack.length) {
      const name = stack.pop()!;
      if (needed.has(name)) continue;
      const layer = this.layersByName.get(name);
      if (!layer) throw new Error(`no layer named '${name}' in the model`);
      needed.add(name);
      stack.push(...this.inbound(layer));
    }
    const layers = this.topology.layers.filter((l) => needed.has(l.name));
    for (const layer of layers)
      for (const src of this.inbound(layer))
        this.consumers.set(src, [...(this.consumers.get(src) ?? []), layer.name]);
    return layers;
  }

  private weight(name: string): DecodedWeight {
    const w = this.weights.get(name);
    if (!w) throw new Error(`weight ${name} missing from the weights manifest`);
    return w;
  }

  private onlyConsumer(layerName: string): KerasLayer | undefined {
    const list = this.consumers.get(layerName) ?? [];
    if (list.length !== 1 || this.opts.layers.includes(layerName)) return undefined;
    return this.layersByName.get(list[0]);
  }

  private input(layer: KerasLayer, i = 0): Tensor {
    const name = this.inbound(layer)[i];
    const t = this.tensors.get(name);
    if (!t) throw new Error(`layer ${layer.name}: input ${name} was not converted`);
    return t;
  }

  /** Applies a pending ZeroPadding2D as a Pad node, for consumers that cannot absorb it. */
  private materialized(t: Tensor): Tensor {
    if (!t.pendingPad || t.shape.rank !== 4) return t;
    const [top, left, bottom, right] = t.pendingPad;
    const pads = this.graph.initializer(
      `${t.name}_pads`,
      'int64',
      [8],
      [0, 0, top, left, 0, 0, bottom, right],
    );
    return { name: this.graph.node('Pad', [t.name, pads], `${t.name}_padded`), shape: t.shape };
  }

  private rank4(t: Tensor, layer: KerasLayer) {
    if (t.shape.rank !== 4) throw new Error(`layer ${layer.name} (${layer.class_name}) needs a 4-D input`);
    return t.shape;
  }

  private activation(t: string, activation: unknown, layer: KerasLayer): string {
    switch (activation) {
      case undefined:
      case null:
      case 'linear':
        return t;
      case 'relu':
        return this.graph.node('Relu', [t], `${layer.name}_relu`);
      case 'relu6':
        return clip(this.graph, t, 0, 6, `${layer.name}_relu6`);
      case 'sigmoid':
        return this.graph.node('Sigmoid', [t], `${layer.name}_sigmoid`);
      case 'tanh':
        return this.graph.node('Tanh', [t], `${layer.name}_tanh`);
      case 'softmax':
        return this.graph.node('Softmax', [t], `${layer.name}_softmax`, { axis: 1 });
      default:
        throw new Error(`layer ${layer.name}: unsupported activation ${JSON.stringify(activation)}`);
    }
  }

  /** The BN layer's per-channel affine y = x*a + b. */
  private batchNormAffine(bn: KerasLayer, channels: number): { a: Float32Array; b: Float32Array } {
    const axis = bn.config.axis;
    if (
      axis !== -1 &&
      axis !== 3 &&
      !(Array.isArray(axis) && axis.length === 1 && (axis[0] === 3 || axis[0] === -1))
    ) {
      throw new Error(
        `layer ${bn.name}: BatchNormalization over axis ${JSON.stringify(axis)} is not supported`,
      );
    }
    const eps = typeof bn.config.epsilon === 'number' ? bn.config.epsilon : 1e-3;
    const mean = this.weight(`${bn.name}/moving_mean`).values;
    const variance = this.weight(`${bn.name}/moving_variance`).values;
    const gamma = bn.config.scale === false ? undefined : this.weight(`${bn.name}/gamma`).values;
    const beta = bn.config.center === false ? undefined : this.weight(`${bn.name}/beta`).values;
    if (mean.length !== channels)
      throw new Error(`layer ${bn.name}: ${mean.length} channels, input has ${channels}`);
    const a = new Float32Array(channels);
    const b = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      // Computed in double precision before the float32 store, like TF.js's batchNorm up to rounding.
      const inv = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + eps);
      a[c] = inv;
      b[c] = (beta ? beta[c] : 0) - mean[c] * inv;
    }
    return { a, b };
  }

  private conv(layer: KerasLayer): void {
    const src = this.input(layer);
    const shape = this.rank4(src, layer);
    const depthwise = layer.class_name === 'DepthwiseConv2D';
    const cfg = layer.config;
    if (cfg.data_format !== undefined && cfg.data_format !== 'channels_last') {
      throw new Error(`layer ${layer.name}: data_format ${String(cfg.data_format)} not supported`);
    }
    const kernel = this.weight(`${layer.name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`);
    const [kh, kw, cin] = kernel.shape;
    if (cin !== shape.c)
      throw new Error(`layer ${layer.name}: kernel expects ${cin} channels, input has ${shape.c}`);
    const cout = depthwise ? kernel.shape[2] * kernel.shape[3] : kernel.shape[3];
    const [sh, sw] = pair(cfg.strides ?? 1, `${layer.name}.strides`);
    const [dh, dw] = pair(cfg.dilation_rate ?? 1, `${layer.name}.dilation_rate`);
    let w = depthwise ? depthwiseKernelToOihw(kernel) : convKernelToOihw(kernel);
    let bias: Float32Array | undefined = cfg.use_bias
      ? Float32Array.from(this.weight(`${layer.name}/bias`).values)
      : undefined;

    // Fold a following BatchNormalization: w' = w*a, b' = b*a + bn_b.
    let outLayer = layer;
    const next =
      cfg.activation === 'linear' || cfg.activation === undefined ? this.onlyConsumer(layer.name) : undefined;
    if (next?.class_name === 'BatchNormalization') {
      const { a, b } = this.batchNormAffine(next, cout);
      const per = w.length / cout;
      w = Float32Array.from(w, (v, i) => v * a[Math.floor(i / per)]);
      bias = Float32Array.from(b, (v, o) => v + (bias ? bias[o] * a[o] : 0));
      outLayer = next;
    }

    let pads: [number, number, number, number] = [0, 0, 0, 0];
    if (cfg.padding === 'same') {
      if (src.pendingPad) throw new Error(`layer ${layer.name}: ZeroPadding2D before a 'same' conv`);
      pads = samePads2d([shape.h, shape.w], [kh, kw], [sh, sw], [dh, dw]);
    } else if (cfg.padding === 'valid') {
      if (src.pendingPad) pads = src.pendingPad;
    } else throw new Error(`layer ${layer.name}: unsupported padding ${JSON.stringify(cfg.padding)}`);

    let out = convNode(this.graph, this.opts.weights, {
      input: src.name,
      kernel: w,
      dims: [cout, depthwise ? 1 : cin, kh, kw],
      bias,
      strides: [sh, sw],
      dilations: [dh, dw],
      pads,
      group: depthwise ? cin : 1,
      base: layer.name,
      output: outLayer.name,
    });
    out = this.activation(out, cfg.activation, layer);
    const [outH, outW] = convOutSize([shape.h, shape.w], pads, [kh, kw], [sh, sw], [dh, dw]);
    const result: Tensor = { name: out, shape: { rank: 4, c: cout, h: outH, w: outW } };
    this.tensors.set(layer.name, result);
    if (outLayer !== layer) this.tensors.set(outLayer.name, result);
  }

  private pool(layer: KerasLayer): void {
    const src = this.materialized(this.input(layer));
    const shape = this.rank4(src, layer);
    const [kh, kw] = pair(layer.config.pool_size, `${layer.name}.pool_size`);
    const [sh, sw] = pair(layer.config.strides ?? layer.config.pool_size, `${layer.name}.strides`);
    let pads: [number, number, number, number] = [0, 0, 0, 0];
    if (layer.config.padding === 'same') {
      pads = samePads2d([shape.h, shape.w], [kh, kw], [sh, sw]);
    } else if (layer.config.padding !== 'valid') {
      throw new Error(`layer ${layer.name}: unsupported padding ${JSON.stringify(layer.config.padding)}`);
    }
    const max = layer.class_name === 'MaxPooling2D';
    // TF averages only the real pixels under a 'same' window: count_include_pad = 0.
    const attrs: Record<string, number | number[]> = { kernel_shape: [kh, kw], strides: [sh, sw], pads };
    if (!max) attrs.count_include_pad = 0;
    const out = this.graph.node(max ? 'MaxPool' : 'AveragePool', [src.name], layer.name, attrs);
    const [h, w] = convOutSize([shape.h, shape.w], pads, [kh, kw], [sh, sw]);
    this.tensors.set(layer.name, { name: out, shape: { rank: 4, c: shape.c, h, w } });
  }

  private convertLayer(layer: KerasLayer): void {
    if (this.tensors.has(layer.name)) return; // already produced by a fold
    const cfg = layer.config;
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = cfg.batch_input_shape as (number | null)[];
        if (
          !Array.isArray(shape) ||
          shape.length !== 4 ||
          typeof shape[1] !== 'number' ||
          typeof shape[2] !== 'number'
        ) {
          throw new Error(`input ${layer.name}: expected a fixed [N, H, W, C] batch_input_shape`);
        }
        const [, fixedH, fixedW, c] = shape as [null, number, number, number];
        const { height: h, width: w } = this.opts.inputSize ?? { height: fixedH, width: fixedW };
        this.inputShape = [c, h, w];
        this.tensors.set(layer.name, { name: this.graph.fresh(this.inputName), shape: { rank: 4, c, h, w } });
        return;
      }
      case 'ZeroPadding2D': {
        const src = this.materialized(this.input(layer));
        const shape = this.rank4(src, layer);
        const [t, l, b, r] = zeroPadding(layer);
        const next = this.onlyConsumer(layer.name);
        const pending: Tensor = {
          name: src.name,
          shape: { rank: 4, c: shape.c, h: shape.h, w: shape.w },
          pendingPad: [t, l, b, r],
        };
        if (next && CONV_TYPES.has(next.class_name) && next.config.padding === 'valid') {
          this.tensors.set(layer.name, pending);
        } else {
          const padded = this.materialized(pending);
          this.tensors.set(layer.name, {
            name: padded.name,
            shape: { ...shape, h: shape.h + t + b, w: shape.w + l + r },
          });
        }
        return;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D':
        this.conv(layer);
        return;
      case 'BatchNormalization': {
        const src = this.materialized(this.input(layer));
        const shape = this.rank4(src, layer);
        const { a, b } = this.batchNormAffine(layer, shape.c);
        const aName = this.graph.initializer(`${layer.name}_a`, 'float32', [shape.c, 1, 1], a);
        const bName = this.graph.initializer(`${layer.name}_b`, 'float32', [shape.c, 1, 1], b);
        const scaled = this.graph.node('Mul', [src.name, aName], `${layer.name}_scaled`);
        this.tensors.set(layer.name, { name: this.graph.node('Add', [scaled, bName], layer.name), shape });
        return;
      }
      case 'ReLU': {
        const src = this.materialized(this.input(layer));
        const slope = (cfg.negative_slope as number | undefined) ?? 0;
        const threshold = (cfg.threshold as number | undefined) ?? 0;
        const max = cfg.max_value as number | null | undefined;
        if (slope !== 0 || threshold !== 0) {
          throw new Error(`layer ${layer.name}: ReLU with negative_slope/threshold is not supported`);
        }
        const out =
          typeof max === 'number'
            ? clip(this.graph, src.name, 0, max, layer.name)
            : this.graph.node('Relu', [src.name], layer.name);
        this.tensors.set(layer.name, { name: out, shape: src.shape });
        return;
      }
      case 'Activation': {
        const src = this.materialized(this.input(layer));
        this.tensors.set(layer.name, {
          name: this.activation(src.name, cfg.activation, layer),
          shape: src.shape,
        });
        return;
      }
      case 'Add': {
        const inputs = this.inbound(layer).map((_, i) => this.materialized(this.input(layer, i)));
        let out = inputs[0].name;
        for (let i = 1; i < inputs.length; i++)
          out = this.graph.node('Add', [out, inputs[i].name], layer.name);
        this.tensors.set(layer.name, { name: out, shape: inputs[0].shape });
        return;
      }
      case 'Concatenate': {
        const inputs = this.inbound(layer).map((_, i) => this.materialized(this.input(layer, i)));
        const first = inputs[0].shape;
        const axis = cfg.axis as number;
        const lastAxis = first.rank === 4 ? axis === -1 || axis === 3 : axis === -1 || axis === 1;
        if (!lastAxis) throw new Error(`layer ${layer.name}: concatenation over axis ${axis} not supported`);
        const out = this.graph.node(
          'Concat',
          inputs.map((t) => t.name),
          layer.name,
          { axis: 1 },
        );
        const shape: Shape =
          first.rank === 4
            ? { ...first, c: inputs.reduce((n, t) => n + (t.shape.rank === 4 ? t.shape.c : 0), 0) }
            : { rank: 2, f: inputs.reduce((n, t) => n + (t.shape.rank === 2 ? t.shape.f : 0), 0) };
        this.tensors.set(layer.name, { name: out, shape });
        return;
      }
      case 'AveragePooling2D':
      case 'MaxPooling2D':
        this.pool(layer);
        return;
      case 'GlobalAveragePooling2D': {
        const src = this.materialized(this.input(layer));
        const shape = this.rank4(src, layer);
        const pooled = this.graph.node('GlobalAveragePool', [src.name], `${layer.name}_4d`);
        this.tensors.set(layer.name, {
          name: this.graph.node('Flatten', [pooled], layer.name, { axis: 1 }),
          shape: { rank: 2, f: shape.c },
        });
        return;
      }
      case 'Flatten': {
        const src = this.materialized(this.input(layer));
        if (src.shape.rank === 2) {
          this.tensors.set(layer.name, src);
          return;
        }
        const { c, h, w } = src.shape;
        // Keras flattens channels_last (H, W, C); our tensors are NCHW, so transpose unless H = W = 1.
        const nhwc =
          h * w === 1
            ? src.name
            : this.graph.node('Transpose', [src.name], `${layer.name}_nhwc`, { perm: [0, 2, 3, 1] });
        this.tensors.set(layer.name, {
          name: this.graph.node('Flatten', [nhwc], layer.name, { axis: 1 }),
          shape: { rank: 2, f: c * h * w },
        });
        return;
      }
      case 'Dense': {
        const src = this.materialized(this.input(layer));
        if (src.shape.rank !== 2)
          throw new Error(`layer ${layer.name}: Dense on a 4-D tensor is not supported`);
        const kernel = this.weight(`${layer.name}/kernel`);
        const [fin, units] = kernel.shape;
        if (fin !== src.shape.f)
          throw new Error(`layer ${layer.name}: kernel expects ${fin} inputs, got ${src.shape.f}`);
        const inputs = [
          src.name,
          storeWeights(this.graph, this.opts.weights, `${layer.name}_W`, kernel.values, [fin, units], 1),
        ];
        if (cfg.use_bias !== false) {
          inputs.push(
            this.graph.initializer(
              `${layer.name}_B`,
              'float32',
              [units],
              this.weight(`${layer.name}/bias`).values,
            ),
          );
        }
        const out = this.activation(this.graph.node('Gemm', inputs, layer.name), cfg.activation, layer);
        this.tensors.set(layer.name, { name: out, shape: { rank: 2, f: units } });
        return;
      }
      case 'Dropout':
        this.tensors.set(layer.name, this.input(layer));
        return;
      default:
        throw new Error(`layer ${layer.name}: unsupported layer type ${layer.class_name}`);
    }
  }

  /** The layer's activation as [N, C]: pooled (average by default) if spatial. */
  private pooled(layerName: string): { name: string; dim: number } {
    const t = this.materialized(this.tensors.get(layerName)!);
    const tap =
      t.shape.rank === 2
        ? { name: t.name, rank: 2 as const, features: t.shape.f }
        : { name: t.name, rank: 4 as const, channels: t.shape.c };
    return pooledVector(this.graph, tap, layerName, this.opts.pooling?.[layerName]);
  }

  convert(): ConvertedModel {
    if (this.opts.layers.length === 0) throw new Error('convert: name at least one output layer');
    for (const layer of this.neededLayers()) this.convertLayer(layer);
    if (!this.inputShape) throw new Error('convert: the outputs do not depend on the model input');
    const inputName = this.tensors.get(this.topology.input_layers[0][0])!.name;
    const [c, h, w] = this.inputShape;

    // The graph runs NCHW while Keras weights expect channels_last; only the input's layout changes.
    const pooled = this.opts.layers.map((name) => this.pooled(name));
    const outputs = outputHead(this.graph, pooled, this.opts.layers, this.opts, inputName);
    const onnx = this.graph.toBytes({
      name: this.opts.graphName ?? 'embedding',
      inputs: [valueInfo(inputName, ['N', c, h, w])],
      outputs: outputs.map((o) => valueInfo(o.name, ['N', o.dim])),
      docString: `Converted from Keras by lookalike: pooled ${describeTaps(this.opts.layers, this.opts.pooling)} (${this.opts.weights} weights)`,
    });
    return { onnx, inputName, inputShape: [c, h, w], outputs };
  }
}

/** Converts the part of `topology` that `opts.layers` depend on into an NCHW ONNX model. */
export function kerasToOnnx(
  topology: KerasTopology,
  weights: Map<string, DecodedWeight>,
  opts: ConvertOptions,
): ConvertedModel {
  return new KerasToOnnx(topology, weights, opts).convert();
}
