import protobuf from 'protobufjs/minimal.js';
import { onnx, type NodeProto, type ValueInfoProto } from './onnxGraph';

/*
 * Adds graph outputs (and nodes) to an existing ONNX model by splicing protobuf bytes: the ModelProto is
 * copied field by field and only the graph gets extra `node` / `output` entries appended. Fields this
 * schema version does not know (newer IR features) survive, unlike a decode → encode round trip.
 */

const MODEL_GRAPH_FIELD = 7;
const GRAPH_NODE_FIELD = 1;
const GRAPH_OUTPUT_FIELD = 12;
const LENGTH_DELIMITED = 2;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function field(number: number, payload: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32((number << 3) | LENGTH_DELIMITED)
    .bytes(payload)
    .finish();
}

/** Returns a copy of `model` whose graph also has `nodes` (appended, so they run last) and `outputs`. */
export function appendToGraph(
  model: Uint8Array,
  add: { nodes?: NodeProto[]; outputs: ValueInfoProto[] },
): Uint8Array {
  const extra = concat([
    ...(add.nodes ?? []).map((n) => field(GRAPH_NODE_FIELD, onnx.NodeProto.encode(n).finish())),
    ...add.outputs.map((o) => field(GRAPH_OUTPUT_FIELD, onnx.ValueInfoProto.encode(o).finish())),
  ]);
  const reader = protobuf.Reader.create(model);
  const parts: Uint8Array[] = [];
  let sawGraph = false;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    if (tag >>> 3 === MODEL_GRAPH_FIELD && (tag & 7) === LENGTH_DELIMITED) {
      if (sawGraph) throw new Error('ONNX model has two graph fields');
      sawGraph = true;
      parts.push(field(MODEL_GRAPH_FIELD, concat([reader.bytes(), extra])));
    } else {
      reader.skipType(tag & 7);
      parts.push(model.subarray(start, reader.pos));
    }
  }
  if (!sawGraph) throw new Error('not an ONNX model: no graph');
  return concat(parts);
}
