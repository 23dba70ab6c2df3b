import onnxProto from 'onnx-proto';

/*
 * A small builder for ONNX graphs (opset 13) on top of the protobufjs ONNX schema from onnx-proto.
 * Tensors are referred to by name; initializers hold weights as little-endian raw bytes.
 */

export const { onnx } = onnxProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
const OPSET = 13;
const IR_VERSION = 8;

type AttributeValue = number | number[] | string;
type DataType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int32' | 'int64' | 'float16';

const DATA_TYPES: Record<DataType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  float16: onnx.TensorProto.DataType.FLOAT16,
};

/** Float attributes must be marked, since JS numbers do not say whether 2 is an int or a float. */
class FloatAttr {
  constructor(readonly value: number) {}
}

function attribute(name: string, value: AttributeValue | FloatAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (value instanceof FloatAttr) return { name, type: T.FLOAT, f: value.value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (!Number.isInteger(value))
    throw new Error(`attribute ${name}: ${value} is not an integer; wrap floats in FloatAttr`);
  return { name, type: T.INT, i: value };
}

/** A tensor's name and type (float32 unless told); `dims` omitted leaves the shape to onnxruntime's inference. */
export function valueInfo(
  name: string,
  dims?: (number | string)[],
  type: DataType = 'float32',
): onnxProto.onnx.IValueInfoProto {
  const shape = dims && { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) };
  return {
    name,
    type: { tensorType: { elemType: DATA_TYPES[type], ...(shape ? { shape } : {}) } },
  };
}

function tensorBytes(type: DataType, values: ArrayLike<number>): Uint8Array {
  switch (type) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'int8':
      return new Uint8Array(Int8Array.from(values).buffer);
    case 'uint8':
      return Uint8Array.from(values);
    case 'int32':
      return new Uint8Array(Int32Array.from(values).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    case 'float16':
      return new Uint8Array(float32ToFloat16(values).buffer);
  }
}

/** An initializer's TensorProto: `values` as little-endian raw bytes of `type`. */
export function initializerTensor(
  name: string,
  type: DataType,
  dims: number[],
  values: ArrayLike<number>,
): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: DATA_TYPES[type], rawData: tensorBytes(type, values) };
}

/** IEEE binary16 with round-to-nearest-even (Float16Array is not in Node 20). */
export function float32ToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && half & 1)) half++;
      out[i] = sign | half;
      continue;
    }
    // A carry out of the mantissa correctly bumps the exponent (up to infinity).
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
    out[i] = sign | half;
  }
  return out;
}

export class OnnxGraph {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly names = new Set<string>();

  /** A tensor name not used yet in this graph, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  initializer(base: string, type: DataType, dims: number[], values: ArrayLike<number>): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== values.length)
      throw new Error(`initializer ${base}: ${values.length} values for dims [${dims}]`);
    const name = this.fresh(base);
    this.initializers.push(initializerTensor(name, type, dims, values));
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  node(
    op: string,
    inputs: string[],
    outBase: string,
    attrs: Record<string, AttributeValue | FloatAttr> = {},
  ): string {
    const output = this.fresh(outBase);
    this.nodes.push({
      opType: op,
      name: this.fresh(`${outBase}/${op}`),
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  toBytes(opts: {
    name: string;
    inputs: onnxProto.onnx.IValueInfoProto[];
    outputs: onnxProto.onnx.IValueInfoProto[];
    docString?: string;
  }): Uint8Array {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'lookalike',
      docString: opts.docString ?? '',
      graph: {
        name: opts.name,
        node: this.nodes,
        initializer: this.initializers,
        input: opts.inputs,
        output: opts.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}
