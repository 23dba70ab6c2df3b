import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { featurize } from '../core/featurize';
import { decodeImage } from '../index-builder/decodeImage';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { vendorImageDir } from '../testing/fixtureImages';
import { buildModel } from './buildModel';
import { onnx } from './onnxGraph';
import { cosine } from './research/parity';
import { quantizeStatically } from './staticQuantization';

type Built = Awaited<ReturnType<typeof buildModel>>;

/** The graph onnxruntime runs after its optimisations (QDQ groups fused into int8 ops), by op type. */
async function optimisedOps(onnxPath: string): Promise<Record<string, number>> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qdq-opt-')), 'optimised.onnx');
  const session = await ort.InferenceSession.create(onnxPath, {
    graphOptimizationLevel: 'extended',
    optimizedModelFilePath: file,
  });
  await session.release();
  const counts: Record<string, number> = {};
  for (const n of onnx.ModelProto.decode(readFileSync(file)).graph!.node!)
    counts[n.opType!] = (counts[n.opType!] ?? 0) + 1;
  return counts;
}

describe('build-model --weights int8-qdq (static int8 quantization)', () => {
  let float: Built;
  let qdq: Built;
  beforeAll(async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'build-model-qdq-'));
    float = await buildModel({ model: 'mobilenet_v2_mid', weights: 'float32', outDir: out, quiet: true });
    qdq = await buildModel({ model: 'mobilenet_v2_mid', weights: 'int8-qdq', outDir: out, quiet: true });
  }, 300_000);

  it('stores every convolution as int8 weights, int32 bias and uint8 activations, and names it', () => {
    expect(path.basename(qdq.onnxPath)).toBe('mobilenet_v2_mid.int8-qdq.onnx');
    expect(qdq.spec.id).toMatch(/-int8-qdq-[0-9a-f]{8}$/);
    expect(qdq.spec.output).toEqual(float.spec.output);
    const graph = onnx.ModelProto.decode(readFileSync(qdq.onnxPath)).graph!;
    const producer = new Map(graph.node!.map((n) => [n.output![0], n]));
    const initializer = new Map(graph.initializer!.map((t) => [t.name!, t]));
    const convs = graph.node!.filter((n) => n.opType === 'Conv');
    // Two networks: the main one's 52 convolutions run at two input sizes (114 in all), sharing weights.
    expect(convs.length).toBeGreaterThan(100);
    const { DataType } = onnx.TensorProto;
    for (const conv of convs) {
      const [x, w, b] = conv.input!.map((name) => producer.get(name));
      expect(x?.opType, conv.name!).toBe('DequantizeLinear');
      expect(producer.get(x!.input![0])?.opType, conv.name!).toBe('QuantizeLinear');
      expect(w?.opType, conv.name!).toBe('DequantizeLinear');
      expect(initializer.get(w!.input![0])?.dataType, conv.name!).toBe(DataType.INT8);
      expect(initializer.get(b!.input![0])?.dataType, conv.name!).toBe(DataType.INT32);
    }
    // No two weights of one sign in a channel sum past 128 levels, so x86 AVX2 kernels that add
    // uint8 × int8 products in pairs in 16 bits cannot saturate (255 × 128 < 2^15); depthwise kernels,
    // which do not pair, keep the full ±127.
    let depthwiseMax = 0;
    for (const conv of convs) {
      const t = initializer.get(producer.get(conv.input![1])!.input![0])!;
      const dims = t.dims!.map(Number);
      const q = new Int8Array(Uint8Array.from(t.rawData!).buffer);
      const group = Number(conv.attribute!.find((a) => a.name === 'group')?.i ?? 1);
      if (group > 1 && group === dims[0]) {
        depthwiseMax = Math.max(depthwiseMax, ...Array.from(q, Math.abs));
        continue;
      }
      const perChannel = q.length / dims[0];
      for (let o = 0; o < dims[0]; o++) {
        const channel = Array.from(q.subarray(o * perChannel, (o + 1) * perChannel));
        const positive = channel.filter((v) => v > 0).sort((x, y) => y - x);
        const negative = channel.filter((v) => v < 0).sort((x, y) => x - y);
        expect((positive[0] ?? 0) + (positive[1] ?? 0), conv.name!).toBeLessThanOrEqual(128);
        expect((negative[0] ?? 0) + (negative[1] ?? 0), conv.name!).toBeGreaterThanOrEqual(-128);
      }
    }
    expect(depthwiseMax).toBe(127);
    // No float weights are left behind; the file is smaller than the float16 default's 3.15 MB.
    expect(graph.initializer!.some((t) => t.dataType === DataType.FLOAT16)).toBe(false);
    expect(qdq.bytes).toBeLessThan(2.5e6);
    // A ReLU6's output has the clip's range, [0, 6], not a calibrated one: scale 6/255, zero point 0.
    const relu6 = graph.node!.find(
      (n) => n.opType === 'QuantizeLinear' && producer.get(n.input![0])?.opType === 'Clip',
    );
    const scale = initializer.get(relu6!.input![1])!;
    expect(new Float32Array(Uint8Array.from(scale.rawData!).buffer)[0]).toBeCloseTo(6 / 255, 7);
    expect(initializer.get(relu6!.input![2])!.rawData![0]).toBe(0);
  });

  it('runs on onnxruntime int8 kernels: every convolution fuses into QLinearConv', async () => {
    const ops = await optimisedOps(qdq.onnxPath);
    expect(ops.QLinearConv).toBeGreaterThan(100);
    expect(ops.Conv ?? 0).toBe(0);
    expect(ops.QLinearAdd).toBeGreaterThan(0);
  }, 120_000);

  it('gives the float model’s embeddings to a cosine ≥ 0.995 on emoji of two vendors', async () => {
    const files = (['apple', 'google'] as const).flatMap((vendor) => {
      const dir = vendorImageDir(vendor);
      return readdirSync(dir)
        .filter((f) => f.endsWith('.png'))
        .sort()
        .filter((_, i) => i % 400 === 7)
        .slice(0, 6)
        .map((f) => path.join(dir, f));
    });
    const images = await Promise.all(files.map(async (f) => (await decodeImage(readFileSync(f))).image));
    const embed = async (built: Built) => {
      const runner = await createOnnxModelRunner(built.onnxPath, built.spec, 2);
      try {
        return await featurize(runner, built.spec, images);
      } finally {
        await runner.release();
      }
    };
    const [a, b] = [await embed(float), await embed(qdq)];
    const similarities = a.map((e, i) => cosine(e, b[i]));
    expect(Math.min(...similarities)).toBeGreaterThanOrEqual(0.995);
    // Not the float model under another name: quantization moves every embedding a little.
    expect(Math.max(...similarities)).toBeLessThan(0.999999);
  }, 120_000);

  it('builds the same bytes again (calibration is deterministic), and refuses weights stored as float16', async () => {
    const again = await buildModel({
      model: 'mobilenet_v2_mid',
      weights: 'int8-qdq',
      outDir: mkdtempSync(path.join(tmpdir(), 'build-model-qdq-again-')),
      quiet: true,
    });
    expect(again.spec.id).toBe(qdq.spec.id);
    const half = await buildModel({
      model: 'mobilenet_v2_mid',
      weights: 'float16',
      outDir: mkdtempSync(path.join(tmpdir(), 'build-model-f16-')),
      quiet: true,
    });
    await expect(quantizeStatically(readFileSync(half.onnxPath), half.spec.input)).rejects.toThrow(
      /not a float32 initializer \(convert with float32 weights\)/,
    );
  }, 300_000);
});
