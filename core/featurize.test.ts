import { describe, expect, it } from 'vitest';
import { featurize, type ModelRunner } from './featurize';
import type { ModelSpec } from './modelSpec';
import { preprocessBatch } from './preprocess';
import type { RgbaImage } from './rgbaImage';
import { fixtureModelSpec } from '../testing/modelSpecFixture';

function makeSpec(layout: 'NCHW' | 'NHWC', dim: number): ModelSpec {
  return fixtureModelSpec({
    input: { layout, width: 3, height: 2, fit: 'stretch', mean: [0, 0, 0], std: [1, 1, 1] },
    output: { name: 'out', dim },
  });
}

function solid(r: number, g: number, b: number): RgbaImage {
  const data = new Uint8Array(6 * 4);
  for (let i = 0; i < 6; i++) data.set([r, g, b, 255], i * 4);
  return { width: 3, height: 2, data };
}

/** A fake model: per image, the mean of each channel (works for either layout given the dims). */
function channelMeans(seen: { dims?: readonly number[] }): ModelRunner {
  return {
    async run(input, dims) {
      seen.dims = dims;
      const [n] = dims;
      const nchw = dims[1] === 3;
      const plane = nchw ? dims[2] * dims[3] : dims[1] * dims[2];
      const out = new Float32Array(n * 3);
      for (let i = 0; i < n; i++)
        for (let p = 0; p < plane; p++)
          for (let c = 0; c < 3; c++)
            out[i * 3 + c] += input[i * plane * 3 + (nchw ? c * plane + p : p * 3 + c)] / plane;
      return out;
    },
  };
}

describe('featurize', () => {
  it('passes NCHW dims and returns one unit-norm row per image', async () => {
    const seen: { dims?: readonly number[] } = {};
    const rows = await featurize(channelMeans(seen), makeSpec('NCHW', 3), [
      solid(255, 0, 0),
      solid(30, 40, 0),
    ]);
    expect(seen.dims).toEqual([2, 3, 2, 3]);
    expect(rows).toHaveLength(2);
    expect(Array.from(rows[0])).toEqual([1, 0, 0]);
    expect(rows[1][0]).toBeCloseTo(0.6, 6);
    expect(rows[1][1]).toBeCloseTo(0.8, 6);
    expect(rows[1][2]).toBe(0);
  });

  it('passes NHWC dims for NHWC models', async () => {
    const seen: { dims?: readonly number[] } = {};
    const rows = await featurize(channelMeans(seen), makeSpec('NHWC', 3), [solid(0, 0, 90)]);
    expect(seen.dims).toEqual([1, 2, 3, 3]);
    expect(Array.from(rows[0])).toEqual([0, 0, 1]);
  });

  it('feeds the runner exactly the preprocessed batch', async () => {
    const spec = makeSpec('NCHW', 2);
    const images = [solid(1, 2, 3), solid(200, 100, 50)];
    let received: Float32Array | undefined;
    await featurize(
      { run: async (input) => ((received = input), new Float32Array(4).fill(1)) },
      spec,
      images,
    );
    expect(Array.from(received!)).toEqual(Array.from(preprocessBatch(images, spec.input)));
  });

  it('accepts N×dim×1×1 outputs (same flat length) and normalises each row', async () => {
    const runner: ModelRunner = { run: async () => new Float32Array([3, 4, 0, 0, 0, 2]) };
    const rows = await featurize(runner, makeSpec('NCHW', 3), [solid(0, 0, 0), solid(1, 1, 1)]);
    expect(Array.from(rows[0])).toEqual([Math.fround(0.6), Math.fround(0.8), 0]);
    expect(Array.from(rows[1])).toEqual([0, 0, 1]);
  });

  it('returns no rows for no images without calling the model', async () => {
    const runner: ModelRunner = {
      run: async () => {
        throw new Error('must not run');
      },
    };
    expect(await featurize(runner, makeSpec('NCHW', 3), [])).toEqual([]);
  });

  it('rejects an output of the wrong size or with non-finite values', async () => {
    const short: ModelRunner = { run: async () => new Float32Array(5) };
    await expect(featurize(short, makeSpec('NCHW', 3), [solid(0, 0, 0), solid(0, 0, 0)])).rejects.toThrow(
      /returned 5 values for 2 image\(s\), expected 2×3/,
    );
    const nan: ModelRunner = { run: async () => new Float32Array([1, NaN, 0]) };
    await expect(featurize(nan, makeSpec('NCHW', 3), [solid(0, 0, 0)])).rejects.toThrow(/non-finite/);
  });
});
