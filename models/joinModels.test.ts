import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { resizeNchw, type ConvertedModel } from './convertShared';
import { joinModels, type PixelRange } from './joinModels';
import { onnx, OnnxGraph, valueInfo } from './onnxGraph';

/** A unit-length embedding model: optional 1×1 conv + ReLU, then average pooling, over [N, 3, side, side]. */
function tinyModel(side: number, conv?: number[][]): ConvertedModel {
  const g = new OnnxGraph();
  const input = g.fresh('input');
  let x = input;
  const channels = conv ? conv.length : 3;
  if (conv) {
    const w = g.initializer('w', 'float32', [channels, 3, 1, 1], conv.flat());
    x = g.node('Relu', [g.node('Conv', [x, w], 'conv')], 'relu');
  }
  const pooled = g.node('Flatten', [g.node('GlobalAveragePool', [x], 'gap')], 'pooled', { axis: 1 });
  const out = g.node('LpNormalization', [pooled], 'embedding', { axis: 1, p: 2 });
  return {
    onnx: g.toBytes({
      name: 'tiny',
      inputs: [valueInfo(input, ['N', 3, side, side])],
      outputs: [valueInfo(out, ['N', channels])],
    }),
    inputName: input,
    inputShape: [3, side, side],
    outputs: [{ name: out, dim: channels }],
  };
}

async function run(model: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, dims) });
  await session.release();
  return out[session.outputNames[0]].data as Float32Array;
}

const MAIN_RANGE: PixelRange = { mean: [0, 0, 0], std: [1, 1, 1] };
// The Keras range: x = (pixel − 0.5) / 0.5.
const KERAS_RANGE: PixelRange = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const CONV = [
  [1, -0.5, 0.25],
  [-0.3, 0.8, 0.1],
];

/** JS reference of the companion's input: range mapping, then per-image standardisation. */
function companionInput(x: Float32Array, n: number, standardise: boolean): Float32Array {
  const y = x.map((v) => (v - 0.5) / 0.5);
  if (!standardise) return y;
  const per = y.length / n;
  for (let i = 0; i < n; i++) {
    const img = y.subarray(i * per, (i + 1) * per);
    const mean = img.reduce((s, v) => s + v, 0) / per;
    const variance = img.reduce((s, v) => s + (v - mean) ** 2, 0) / per;
    const std = Math.sqrt(Math.max(variance, 1e-6));
    for (let j = 0; j < per; j++) img[j] = Math.min(1, Math.max(-1, ((img[j] - mean) / std) * 0.5));
  }
  return y;
}

function expectClose(a: Float32Array, b: Float32Array, tolerance = 1e-5): void {
  expect(a.length).toBe(b.length);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  expect(worst).toBeLessThan(tolerance);
}

/** normalise(concat(main, weight · companion)) row by row. */
function joined(main: Float32Array, comp: Float32Array, n: number, weight: number): Float32Array {
  const da = main.length / n;
  const db = comp.length / n;
  const out = new Float32Array(n * (da + db));
  for (let i = 0; i < n; i++) {
    const row = [
      ...main.subarray(i * da, (i + 1) * da),
      ...[...comp.subarray(i * db, (i + 1) * db)].map((v) => v * weight),
    ];
    const norm = Math.hypot(...row);
    out.set(
      row.map((v) => v / norm),
      i * (da + db),
    );
  }
  return out;
}

describe('joinModels', () => {
  const n = 2;
  const side = 6;
  // Pixels in [0, 1] with structure per channel; the second image darker and flatter.
  const x = new Float32Array(n * 3 * side * side).map((_, i) => {
    const v = 0.5 + 0.45 * Math.sin(i * 0.37) * Math.cos(i * 0.11);
    return i < 3 * side * side ? v : 0.2 + 0.3 * v;
  });
  const dims = [n, 3, side, side];

  it('equals the two models run apart: range mapped, standardised, weighted, normalised', async () => {
    const main = tinyModel(side);
    const companion = tinyModel(side, CONV);
    const model = joinModels(main, companion, {
      mainRange: MAIN_RANGE,
      companionRange: KERAS_RANGE,
      weight: 0.5,
      standardise: true,
    });
    expect(model.outputs).toEqual([{ name: 'embedding', dim: 5 }]);
    const expected = joined(
      await run(main.onnx, x, dims),
      await run(companion.onnx, companionInput(x, n, true), dims),
      n,
      0.5,
    );
    expectClose(await run(model.onnx, x, dims), expected);
    // Node names stay unique across the two graphs.
    const names = onnx.ModelProto.decode(model.onnx).graph!.node!.map((node) => node.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('standardising removes brightness and contrast from the companion part only', async () => {
    const model = joinModels(tinyModel(side), tinyModel(side, CONV), {
      mainRange: MAIN_RANGE,
      companionRange: KERAS_RANGE,
      weight: 1,
      standardise: true,
    });
    const edited = x.map((v) => 0.1 + 0.6 * v); // darker, less contrast, still inside [0, 1]
    const a = await run(model.onnx, x, dims);
    const b = await run(model.onnx, edited, dims);
    // Companion dims (the last 2 of 5) are equal up to the final normalisation; main dims move.
    const ratio = (v: Float32Array, i: number) => v[i * 5 + 3] / v[i * 5 + 4];
    for (let i = 0; i < n; i++) expect(ratio(b, i)).toBeCloseTo(ratio(a, i), 4);
    expect(Math.abs(a[0] - b[0])).toBeGreaterThan(1e-3);
  });

  it('resizes the input to the companion side in the graph', async () => {
    const main = tinyModel(side);
    const companion = tinyModel(4, CONV);
    const model = joinModels(main, companion, {
      mainRange: MAIN_RANGE,
      companionRange: KERAS_RANGE,
      weight: 0.7,
    });
    const g = new OnnxGraph();
    const input = g.fresh('input');
    const out = resizeNchw(g, input, 4, 4, 'resized');
    const resize = g.toBytes({
      name: 'resize',
      inputs: [valueInfo(input, ['N', 3, side, side])],
      outputs: [valueInfo(out, ['N', 3, 4, 4])],
    });
    const small = await run(resize, companionInput(x, n, false), dims);
    const expected = joined(
      await run(main.onnx, x, dims),
      await run(companion.onnx, small, [n, 3, 4, 4]),
      n,
      0.7,
    );
    expectClose(await run(model.onnx, x, dims), expected);
  });

  it('rejects a non-positive weight, bad ranges and other channel counts', () => {
    const main = tinyModel(side);
    const opts = { mainRange: MAIN_RANGE, companionRange: KERAS_RANGE, weight: 0.5 };
    expect(() => joinModels(main, tinyModel(side), { ...opts, weight: 0 })).toThrow(
      /weight 0 must be positive/,
    );
    expect(() =>
      joinModels(main, tinyModel(side), { ...opts, companionRange: { mean: [0], std: [1] } }),
    ).toThrow(/companion pixel range/);
    const grey = { ...tinyModel(side), inputShape: [1, side, side] as [number, number, number] };
    expect(() => joinModels(main, grey, opts)).toThrow(/takes 1 channels/);
  });
});
