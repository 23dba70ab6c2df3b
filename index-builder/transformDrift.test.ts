import { beforeAll, describe, expect, it } from 'vitest';
import type { VectorTransform } from '../core/vectorTransform';
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
