import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { colourHistogramBlock, type ColourBlockOptions } from './convertShared';
import { convertEmbedding, modelFileBase } from './buildModel';
import { NSFWJS_EMBEDDINGS } from './nsfwjsEmbeddings';
import { OnnxGraph, valueInfo } from './onnxGraph';

/** The colour block computed plainly: per-pixel triangular memberships, joint products, mean, sqrt, L2, ×w. */
function colourBlockJs(x: Float32Array, h: number, w: number, c: ColourBlockOptions): Float64Array {
  const B = c.bins;
  const mean = c.pixel?.mean ?? [0, 0, 0];
  const std = c.pixel?.std ?? [1, 1, 1];
  const hist = new Float64Array(B * B * B);
  // In float32 like the graph: a membership that rounds to 0 there must be 0 here (its sqrt is not small).
  const f = Math.fround;
  const m = (v: number) =>
    Array.from({ length: B }, (_, b) => Math.max(0, f(1 - Math.abs(f(f(v * (B - 1)) - b)))));
  const plane = h * w;
  for (let p = 0; p < plane; p++) {
    const [mr, mg, mb] = [0, 1, 2].map((ch) =>
      m(Math.min(1, Math.max(0, f(f(x[ch * plane + p] * std[ch]) + mean[ch])))),
    );
    for (let r = 0; r < B; r++)
      for (let g = 0; g < B; g++)
        for (let b = 0; b < B; b++) hist[(r * B + g) * B + b] += (mr[r] * mg[g] * mb[b]) / plane;
  }
  let total = 0;
  for (const v of hist) total += v;
  expect(total).toBeCloseTo(1, 9); // the memberships are a partition of unity
  const out = hist.map(Math.sqrt);
  const norm = Math.hypot(...out);
  return out.map((v) => (v / norm) * c.weight);
}

async function runColourGraph(c: ColourBlockOptions, x: Float32Array, dims: number[]) {
  const graph = new OnnxGraph();
  const input = graph.fresh('input');
  const block = colourHistogramBlock(graph, input, c);
  const bytes = graph.toBytes({
    name: 'colour',
    inputs: [valueInfo(input, ['N', 3, dims[2], dims[3]])],
    outputs: [valueInfo(block.name, ['N', block.dim])],
  });
  const session = await ort.InferenceSession.create(bytes);
  const out = (await session.run({ [input]: new ort.Tensor('float32', x, dims) }))[block.name];
  await session.release();
  return { dims: out.dims, data: out.data as Float32Array, dim: block.dim };
}

function seeded(n: number, seed: number, f: (u: number, i: number) => number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, (_, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return f(s / 2 ** 32, i);
  });
}

describe('colour histogram block', () => {
  const [H, W] = [5, 7];

  it.each([
    { bins: 4, weight: 0.3 },
    { bins: 6, weight: 0.5 },
  ])('equals a plain JS histogram on [0, 1] pixels (bins $bins, weight $weight)', async (c) => {
    // Two images: random values, exact bin centres, 0 and 1, and a few out of range (clamped).
    const n = 2 * 3 * H * W;
    const x = seeded(n, 7 + c.bins, (u, i) =>
      i % 11 === 0 ? Math.round(u * (c.bins - 1)) / (c.bins - 1) : i % 13 === 0 ? u * 1.4 - 0.2 : u,
    );
    const { dims, data, dim } = await runColourGraph(c, x, [2, 3, H, W]);
    expect(dim).toBe(c.bins ** 3);
    expect(dims).toEqual([2, dim]);
    for (let img = 0; img < 2; img++) {
      const expected = colourBlockJs(x.subarray(img * 3 * H * W, (img + 1) * 3 * H * W), H, W, c);
      const got = data.subarray(img * dim, (img + 1) * dim);
      for (let j = 0; j < dim; j++) expect(got[j]).toBeCloseTo(expected[j], 5);
      expect(Math.hypot(...got)).toBeCloseTo(c.weight, 5);
    }
  });

  it('maps a normalised input back to pixels (Keras [-1, 1])', async () => {
    const c: ColourBlockOptions = {
      bins: 4,
      weight: 1,
      pixel: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    };
    const x = seeded(3 * H * W, 3, (u) => u * 2 - 1);
    const { data } = await runColourGraph(c, x, [1, 3, H, W]);
    const expected = colourBlockJs(x, H, W, c);
    for (let j = 0; j < data.length; j++) expect(data[j]).toBeCloseTo(expected[j], 5);
  });

  it('a solid colour fills only its own joint bin', async () => {
    const c = { bins: 4, weight: 1 };
    // Pure red at a bin centre: (r, g, b) = (1, 0, 0) → joint bin (3·4 + 0)·4 + 0 = 48.
    const x = Float32Array.from({ length: 3 * H * W }, (_, i) => (i < H * W ? 1 : 0));
    const { data } = await runColourGraph(c, x, [1, 3, H, W]);
    data.forEach((v, j) => expect(v).toBeCloseTo(j === 48 ? 1 : 0, 6));
  });

  it('rejects bad options', () => {
    const graph = new OnnxGraph();
    expect(() => colourHistogramBlock(graph, 'x', { bins: 1, weight: 0.3 })).toThrow(/bins/);
    expect(() => colourHistogramBlock(graph, 'x', { bins: 4, weight: 0 })).toThrow(/weight/);
  });

  it('is appended to the mobilenet_v2_mid embedding, leaving the CNN part as it was', async () => {
    // The default choice carries a 6³ block at w 0.1; a caller's block replaces it.
    const chosen = NSFWJS_EMBEDDINGS.mobilenet_v2_mid.colour!;
    const colour = { bins: 4, weight: 0.5 };
    // Without the companion network, so the colour block is the embedding's last part.
    const plain = convertEmbedding('mobilenet_v2_mid', 'float16', { companion: null });
    const withColour = convertEmbedding('mobilenet_v2_mid', 'float16', { colour, companion: null });
    const cnnDim = withColour.outputs[0].dim - 64;
    expect(plain.outputs[0].dim).toBe(cnnDim + chosen.bins ** 3);
    expect(modelFileBase('mobilenet_v2_mid', 'float16', { colour })).toBe('mobilenet_v2_mid.rgb4w0.5');
    expect(modelFileBase('mobilenet_v2_mid', 'float16')).toBe('mobilenet_v2_mid');

    const [C, h, w] = plain.inputShape;
    const x = seeded(C * h * w, 11, (u, i) => 0.5 + 0.45 * Math.sin(i / 97) * u);
    const run = async (m: typeof plain) => {
      const s = await ort.InferenceSession.create(m.onnx);
      const out = await s.run({ [m.inputName]: new ort.Tensor('float32', x, [1, C, h, w]) });
      await s.release();
      return out[m.outputs[0].name].data as Float32Array;
    };
    const a = await run(plain);
    const b = await run(withColour);
    // Two unit tap blocks and a block of length w: the final normalisation divides by sqrt(2 + w²).
    const scale = Math.sqrt(2 + colour.weight ** 2);
    const chosenScale = Math.sqrt(2 + chosen.weight ** 2);
    for (let j = 0; j < cnnDim; j += 7) expect(b[j] * scale).toBeCloseTo(a[j] * chosenScale, 4);
    const pixel = NSFWJS_EMBEDDINGS.mobilenet_v2_mid.input;
    const expected = colourBlockJs(x, h, w, { ...colour, pixel: { mean: pixel.mean, std: pixel.std } });
    for (let j = 0; j < 64; j++) expect(b[cnnDim + j] * scale).toBeCloseTo(expected[j], 4);
  });
});
