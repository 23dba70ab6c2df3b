import { beforeAll, describe, expect, it } from 'vitest';
import { projectEmbedding, type VectorTransform } from '../core/vectorTransform';
import { fitTransform } from './fitTransform';
import { measureDrift, refitReason } from './transformDrift';

/** Deterministic embeddings around `centre` with per-dimension spread. */
function cloud(n: number, dim: number, seed: number, centre = 0, spread = 1): Float32Array[] {
  let s = seed;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: n }, () =>
    Float32Array.from({ length: dim }, (_, d) => centre + rand() * spread * (1 + (d % 7))),
  );
}

const named = (vs: Float32Array[], prefix: string) =>
  vs.map((embedding, i) => ({ hash: `${prefix}${i}`, embedding }));

describe('transform drift', () => {
  const old = named(cloud(1000, 48, 1), 'a');
  const fitted = fitTransform(
    old.map((o) => o.embedding),
    { dims: 16, seed: 3 },
  );
  let transform: VectorTransform;
  beforeAll(async () => {
    transform = await fitted;
  });
  const fittedOn = new Set(old.map((o) => o.hash));

  it('keeps the transform when 1 % more images of the same kind arrive', async () => {
    const m = measureDrift(transform, fittedOn, [...old, ...named(cloud(10, 48, 2), 'b')]);
    expect(m).toMatchObject({ kept: 1000, added: 10, removed: 0 });
    expect(m.drift).toBeLessThan(0.05);
    expect(refitReason(m, 1000)).toBeNull();
  });

  it('equals ‖M_all − M_kept‖ / ‖M_kept‖ of the projected second moments, computed directly', () => {
    const images = [...old.slice(0, 997), ...named(cloud(41, 48, 7, 0.5), 'd')];
    const moments = (vs: Float64Array[]) => {
      const m = new Float64Array(16 * 16);
      for (const v of vs)
        for (let a = 0; a < 16; a++) for (let b = 0; b < 16; b++) m[a * 16 + b] += v[a] * v[b];
      return m.map((x) => x / vs.length);
    };
    const projected = images.map((im) => projectEmbedding(transform, im.embedding));
    const mAll = moments(projected);
    const mKept = moments(projected.filter((_, i) => fittedOn.has(images[i].hash)));
    const norm = (m: Float64Array) => Math.sqrt(m.reduce((s, x) => s + x * x, 0));
    const expected = norm(mAll.map((x, i) => x - mKept[i])) / norm(mKept);
    const m = measureDrift(transform, fittedOn, images);
    expect(m).toMatchObject({ kept: 997, added: 41, removed: 3 });
    expect(m.drift).toBeGreaterThan(0);
    expect(m.drift).toBeCloseTo(expected, 12);
  });

  it('refits when the new images are of another kind, or when many fitted images are gone', async () => {
    const other = named(cloud(300, 48, 5, 4, 0.2), 'c');
    const moved = measureDrift(transform, fittedOn, [...old, ...other]);
    expect(moved.drift).toBeGreaterThan(0.05);
    expect(refitReason(moved, 1000)).toMatch(/moved it by/);
    const shrunk = measureDrift(transform, fittedOn, old.slice(0, 800));
    expect(shrunk.removed).toBe(200);
    expect(refitReason(shrunk, 1000)).toMatch(/200 of the 1000 images/);
    expect(refitReason(measureDrift(transform, fittedOn, other), 1000)).toMatch(/no image/);
  });
});
