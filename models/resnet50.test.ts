import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { featurize } from '../core/featurize';
import { parseModelSpec } from '../core/modelSpec';
import type { RgbaImage } from '../core/rgbaImage';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { OnnxGraph, valueInfo } from './onnxGraph';
import { prepareModel } from './prepareModel';
import { ensureResnet50Synthetic } from './resnet50Generator';

const SPECS = path.join(path.dirname(new URL(import.meta.url).pathname), 'specs');

function image(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...f(x, y), 255], (y * w + x) * 4);
  return { width: w, height: h, data };
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('ResNet-50 path: prepare-model + core/featurize on the synthetic int8 QDQ ResNet-50', () => {
  let synthetic: string;
  beforeAll(async () => {
    synthetic = await ensureResnet50Synthetic({ quiet: true });
  });

  it('exposes the pooled 2048-d feature and featurizes to unit vectors', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'prepare-resnet50-'));
    const prepared = await prepareModel({
      inPath: synthetic,
      specPath: path.join(SPECS, 'resnet50-v1-12-qdq.json'),
      outDir: out,
    });
    expect(prepared.spec.output).toEqual({ name: 'resnetv17_pool1_fwd', dim: 2048 });
    expect(parseModelSpec(JSON.parse(readFileSync(prepared.specPath, 'utf8')))).toEqual(prepared.spec);
    expect(path.dirname(prepared.onnxPath)).toBe(out);

    const runner = await createOnnxModelRunner(prepared.onnxPath, prepared.spec, 1);
    const images = [
      image(320, 240, (x, y) => [x % 256, y % 256, 128]),
      image(200, 300, (x, y) => [(x * y) % 256, 255 - (y % 256), (x * 3) % 256]),
      image(320, 240, (x, y) => [x % 256, y % 256, 128]),
    ];
    const rows = await featurize(runner, prepared.spec, images);
    await runner.release();
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.length).toBe(2048);
      expect(norm(r)).toBeCloseTo(1, 5);
    }
    expect(Array.from(rows[2])).toEqual(Array.from(rows[0]));
    expect(dot(rows[0], rows[1])).toBeLessThan(0.9999);
  });

  it('rejects a spec whose input or feature tensor the model does not have, naming the alternatives', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'prepare-resnet50-bad-'));
    const base = JSON.parse(readFileSync(path.join(SPECS, 'resnet50-v1-12-qdq.json'), 'utf8'));
    const badInput = path.join(out, 'bad-input.json');
    writeFileSync(badInput, JSON.stringify({ ...base, input: { ...base.input, name: 'pixel_values' } }));
    await expect(prepareModel({ inPath: synthetic, specPath: badInput, outDir: out })).rejects.toThrow(
      /no input 'pixel_values' \(inputs: data\)/,
    );
    await expect(
      prepareModel({
        inPath: synthetic,
        specPath: path.join(SPECS, 'resnet50-v1-12-qdq.json'),
        outDir: out,
        tensor: 'nope',
      }),
    ).rejects.toThrow(/no tensor 'nope'; pooling\/flatten outputs are: .*resnetv17_pool1_fwd/);
    const wrongDim = path.join(out, 'wrong-dim.json');
    writeFileSync(wrongDim, JSON.stringify({ ...base, output: { ...base.output, dim: 1000 } }));
    await expect(prepareModel({ inPath: synthetic, specPath: wrongDim, outDir: out })).rejects.toThrow(
      /returned 2048 values for 1 image\(s\), expected 1×1000/,
    );
  });
});

describe('prepare-model on a quantized feature tensor', () => {
  it('adds DequantizeLinear with the tensor’s own scale and zero point', async () => {
    // data → GlobalAveragePool → QuantizeLinear (the feature stays uint8, as in QOperator models) → DQ → logits
    const g = new OnnxGraph();
    const data = g.fresh('data');
    const pooled = g.node('GlobalAveragePool', [data], 'pool');
    const scale = g.initializer('pool_scale', 'float32', [], [0.01]);
    const zero = g.initializer('pool_zero_point', 'uint8', [], [128]);
    const q = g.node('QuantizeLinear', [pooled, scale, zero], 'pool_quantized');
    const logits = g.node('Flatten', [g.node('DequantizeLinear', [q, scale, zero], 'pool_dq')], 'logits', {
      axis: 1,
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'prepare-quantized-'));
    const onnxIn = path.join(dir, 'classifier.onnx');
    writeFileSync(
      onnxIn,
      g.toBytes({
        name: 'tiny',
        inputs: [valueInfo(data, ['N', 3, 8, 8])],
        outputs: [valueInfo(logits, ['N', 3])],
      }),
    );
    const specPath = path.join(dir, 'tiny.json');
    writeFileSync(
      specPath,
      JSON.stringify({
        specVersion: 1,
        id: 'tiny',
        file: 'tiny-prepared.onnx',
        input: {
          name: 'data',
          layout: 'NCHW',
          width: 8,
          height: 8,
          fit: 'stretch',
          cropFraction: 1,
          resize: 'bilinear-antialias',
          scale: 1 / 255,
          mean: [0.5, 0.5, 0.5],
          std: [1, 1, 1],
        },
        output: { name: 'pool_quantized', dim: 3 },
      }),
    );
    const prepared = await prepareModel({ inPath: onnxIn, specPath, outDir: path.join(dir, 'out') });
    expect(prepared.spec.output.name).toBe('pool_quantized_dequantized');
    const runner = await createOnnxModelRunner(prepared.onnxPath, prepared.spec, 1);
    // Channel means 0.3, -0.2, 0.4 after (v/255 - 0.5): quantized exactly on the 0.01 grid.
    const [row] = await featurize(runner, prepared.spec, [image(8, 8, () => [204, 76.5, 229.5])]);
    await runner.release();
    const expected = [0.3, -0.2, 0.4].map((v) => v / Math.sqrt(0.29));
    expected.forEach((v, i) => expect(row[i]).toBeCloseTo(v, 2));
  });
});
