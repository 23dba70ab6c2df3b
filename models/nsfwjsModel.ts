import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/*
 * Reads the TF.js models that the nsfwjs package ships as JS modules in node_modules: model.min.js exports
 * {modelTopology, weightsManifest} (plus format: 'graph-model' for a frozen TF graph); each
 * group1-shardNofM.min.js exports the base64 text of that shard's bytes. Nothing is fetched from a network.
 */

/** The Keras (TF.js layers-format) models. */
const NSFWJS_LAYERS_MODELS = ['mobilenet_v2', 'inception_v3'] as const;
/** The TF.js graph-format models (a frozen TF-Hub graph). */
const NSFWJS_GRAPH_MODELS = ['mobilenet_v2_mid'] as const;
/** Every model build-model can convert. */
export const NSFWJS_MODELS = [...NSFWJS_LAYERS_MODELS, ...NSFWJS_GRAPH_MODELS] as const;
/** A Keras (layers-format) model: what the Keras converter, the layer measurement and TF.js layers handle. */
export type NsfwjsModelName = (typeof NSFWJS_LAYERS_MODELS)[number];
type NsfwjsGraphModelName = (typeof NSFWJS_GRAPH_MODELS)[number];
/** Any nsfwjs model, either format. */
export type NsfwjsAnyModelName = (typeof NSFWJS_MODELS)[number];

/** One Keras layer as the TF.js topology JSON describes it. */
export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  /** [[ [inboundLayer, nodeIndex, tensorIndex, kwargs], ... ]]: one call of the layer, its inputs. */
  inbound_nodes: [string, number, number, unknown][][];
}

export interface KerasTopology {
  layers: KerasLayer[];
  input_layers: [string, number, number][];
  output_layers: [string, number, number][];
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { min?: number; scale?: number; dtype: string };
}

export interface DecodedWeight {
  shape: number[];
  values: Float32Array;
}

export interface NsfwjsModel {
  format: 'layers';
  name: NsfwjsModelName;
  nsfwjsVersion: string;
  topology: KerasTopology;
  /** The whole modelTopology JSON (keras_version, model_config, ...), as TF.js loads it. */
  modelTopology: object;
  /** The manifest's specs in order, as TF.js would read them (used to feed TF.js the same bytes). */
  weightSpecs: WeightSpec[];
  /** Dequantized float32 weights by name, e.g. "Conv1/kernel". */
  weights: Map<string, DecodedWeight>;
}

/** One attribute of a TF graph node, as the TF.js graph JSON spells it (int64s as strings, strings base64). */
export interface GraphAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; b?: boolean[]; type?: string[] };
  tensor?: unknown;
}

/** One node of the TF.js graph topology (a frozen TF GraphDef in JSON). */
export interface GraphNode {
  name: string;
  op: string;
  /** Data inputs "node" or "node:k", control inputs "^node". */
  input?: string[];
  attr?: Record<string, GraphAttr>;
}

export interface NsfwjsGraphModel {
  format: 'graph';
  name: NsfwjsGraphModelName;
  nsfwjsVersion: string;
  nodes: GraphNode[];
  /** The whole modelTopology JSON ({node, versions, ...}), as TF.js loads it. */
  modelTopology: object;
  /** The manifest's specs in order, as TF.js would read them (used to feed TF.js the same bytes). */
  weightSpecs: WeightSpec[];
  /** Dequantized weights by Const node name (int32 constants as exact integer floats). */
  weights: Map<string, DecodedWeight>;
}

const require = createRequire(import.meta.url);

/** The nsfwjs package folder (its exports map hides dist/models, so resolve the main entry and walk up). */
function nsfwjsPackageDir(): string {
  let dir = path.dirname(require.resolve('nsfwjs'));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nsfwjs')
      return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('nsfwjs package not found: run npm ci');
    dir = parent;
  }
}

export function nsfwjsVersion(): string {
  return (
    JSON.parse(readFileSync(path.join(nsfwjsPackageDir(), 'package.json'), 'utf8')) as { version: string }
  ).version;
}

function base64Shard(file: string): Uint8Array {
  const text: unknown = require(file);
  if (typeof text !== 'string') throw new Error(`${file}: expected a module exporting a base64 string`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function dequantize(
  spec: WeightSpec,
  bytes: Uint8Array,
  offset: number,
): { values: Float32Array; byteLength: number } {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  if (!q) {
    const raw = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * 4);
    // Graph models keep shape-like constants (axes, paddings) as int32.
    if (spec.dtype === 'int32')
      return { values: Float32Array.from(new Int32Array(raw)), byteLength: count * 4 };
    if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name}: unsupported dtype ${spec.dtype}`);
    return { values: new Float32Array(raw), byteLength: count * 4 };
  }
  if (q.min === undefined || q.scale === undefined)
    throw new Error(`weight ${spec.name}: quantization lacks min/scale`);
  const values = new Float32Array(count);
  if (q.dtype === 'uint8') {
    for (let i = 0; i < count; i++) values[i] = bytes[offset + i] * q.scale + q.min;
    return { values, byteLength: count };
  }
  if (q.dtype === 'uint16') {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2);
    for (let i = 0; i < count; i++) values[i] = view.getUint16(i * 2, true) * q.scale + q.min;
    return { values, byteLength: count * 2 };
  }
  throw new Error(`weight ${spec.name}: unsupported quantization dtype ${q.dtype}`);
}

type WeightsManifest = { paths: string[]; weights: WeightSpec[] }[];

/** Decodes every weight group of a manifest (shards read from `dir`) to float32, in manifest order. */
function readWeights(dir: string, manifest: WeightsManifest) {
  const weights = new Map<string, DecodedWeight>();
  const weightSpecs: WeightSpec[] = [];
  for (const group of manifest) {
    const shards = group.paths.map((p) => base64Shard(path.join(dir, `${p}.min.js`)));
    const bytes = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
    let at = 0;
    for (const s of shards) {
      bytes.set(s, at);
      at += s.length;
    }
    let offset = 0;
    for (const spec of group.weights) {
      const { values, byteLength } = dequantize(spec, bytes, offset);
      offset += byteLength;
      weights.set(spec.name, { shape: spec.shape, values });
      weightSpecs.push(spec);
    }
    if (offset !== bytes.length)
      throw new Error(`${dir}: weights use ${offset} bytes, shards hold ${bytes.length}`);
  }
  return { weights, weightSpecs };
}

/**
 * Loads one of the nsfwjs models with its weights decoded to float32: a Keras functional model for the
 * layers-format models, the node list of the frozen graph for the graph-format ones.
 */
export function loadNsfwjsModel(name: NsfwjsModelName): NsfwjsModel;
export function loadNsfwjsModel(name: NsfwjsGraphModelName): NsfwjsGraphModel;
export function loadNsfwjsModel(name: NsfwjsAnyModelName): NsfwjsModel | NsfwjsGraphModel;
export function loadNsfwjsModel(name: NsfwjsAnyModelName): NsfwjsModel | NsfwjsGraphModel {
  if (!NSFWJS_MODELS.includes(name)) {
    throw new Error(`unknown nsfwjs model '${name}', expected one of ${NSFWJS_MODELS.join(', ')}`);
  }
  const dir = path.join(nsfwjsPackageDir(), 'dist', 'models', name);
  const module = require(path.join(dir, 'model.min.js')) as {
    format?: string;
    modelTopology?: {
      model_config?: { class_name?: string; config?: KerasTopology };
      node?: GraphNode[];
    };
    weightsManifest?: WeightsManifest;
  };
  const topology = module.modelTopology;
  if (!topology || !Array.isArray(module.weightsManifest))
    throw new Error(`${dir}/model.min.js: no modelTopology / weightsManifest`);
  const graph = module.format === 'graph-model';
  if (graph !== (NSFWJS_GRAPH_MODELS as readonly string[]).includes(name))
    throw new Error(`${dir}/model.min.js: unexpected format ${module.format ?? 'layers-model'} for ${name}`);
  const common = { nsfwjsVersion: nsfwjsVersion(), modelTopology: topology as object };
  if (graph) {
    if (!Array.isArray(topology.node)) throw new Error(`${dir}/model.min.js: graph model without nodes`);
    return {
      format: 'graph',
      name: name as NsfwjsGraphModelName,
      nodes: topology.node,
      ...common,
      ...readWeights(dir, module.weightsManifest),
    };
  }
  const config = topology.model_config;
  if (config?.class_name !== 'Model' || !config.config) {
    throw new Error(`${dir}/model.min.js: not a TF.js layers functional model`);
  }
  return {
    format: 'layers',
    name: name as NsfwjsModelName,
    topology: config.config,
    ...common,
    ...readWeights(dir, module.weightsManifest),
  };
}
