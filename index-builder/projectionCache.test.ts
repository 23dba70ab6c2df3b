import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/prng';
import { projectEmbedding, type VectorTransform } from '../core/vectorTransform';
import { Projections, decodeProjections, transformKeyOf } from './projectionCache';

function transform(seed: number, inputDim = 12, dims = 4): VectorTransform {
  const next = mulberry32(seed);
  const rnd = () => next() / 2 ** 32 - 0.5;
  return {
    inputDim,
    dims,
    mean: Float32Array.from({ length: inputDim }, rnd),
    projection: Float32Array.from({ length: dims * inputDim }, rnd),
    quantScale: 100,
  };
}

const hashOf = (i: number) => i.toString(16).padStart(2, '0').padEnd(64, 'c');
const embeddings = Array.from({ length: 5 }, (_, i) =>
  Float32Array.from({ length: 12 }, (_, d) => Math.sin(i * 12 + d)),
);

describe('projection cache', () => {
  it('gives exactly projectEmbedding, first computed, then from the file it encodes', () => {
    const t = transform(1);
    const key = transformKeyOf('fit', t);
    const first = new Projections(t, key);
    const vectors = embeddings.map((e, i) => first.of(hashOf(i), e));
    expect(first.computed).toBe(5);
    vectors.forEach((v, i) => expect(v).toEqual(projectEmbedding(t, embeddings[i])));

    const known = decodeProjections(first.encode(), key, t.dims);
    expect(known?.size).toBe(5);
    const second = new Projections(t, key, known);
    embeddings.forEach((e, i) => expect(second.of(hashOf(i), e)).toEqual(vectors[i]));
    expect(second.of(hashOf(9), embeddings[0])).toEqual(vectors[0]);
    expect(second.computed).toBe(1);
    // The next file holds what this build used, no more.
    expect(decodeProjections(second.encode(), key, t.dims)?.size).toBe(6);
  });

  it('prepares vectors in blocks: projectEmbedding’s to rounding, only those not known, bad input refused', async () => {
    const t = transform(3, 12, 4);
    const key = transformKeyOf('fit', t);
    const first = new Projections(t, key);
    await first.prepare(
      embeddings.map((_, i) => hashOf(i)),
      embeddings,
    );
    expect(first.computed).toBe(5);
    embeddings.forEach((e, i) => {
      const v = first.of(hashOf(i), e);
      const exact = projectEmbedding(t, e);
      v.forEach((x, d) => expect(x).toBeCloseTo(exact[d], 12));
    });
    // Handing the prepared vectors out computes nothing more.
    expect(first.computed).toBe(5);
    const known = decodeProjections(first.encode(), key, t.dims)!;
    const second = new Projections(t, key, known);
    const more = [...embeddings, Float32Array.from(embeddings[0], (x) => -x)];
    await second.prepare(
      more.map((_, i) => hashOf(i)),
      more,
    );
    expect(second.computed).toBe(1);
    const exact = projectEmbedding(t, more[5]);
    second.of(hashOf(5), more[5]).forEach((x, d) => expect(x).toBeCloseTo(exact[d], 12));
    expect(second.computed).toBe(1);
    await expect(second.prepare([hashOf(7)], [new Float32Array(11)])).rejects.toThrow(
      /embedding has 11 values, the index expects 12/,
    );
    await expect(second.prepare([hashOf(8)], [new Float32Array(12).fill(Number.NaN)])).rejects.toThrow(
      /not finite/,
    );
  });

  it('ignores a file for another transform, fit key or dims, and a damaged or truncated one', () => {
    const t = transform(1);
    const key = transformKeyOf('fit', t);
    const p = new Projections(t, key);
    embeddings.forEach((e, i) => p.of(hashOf(i), e));
    const bytes = p.encode();
    expect(decodeProjections(bytes, key, t.dims)).toBeDefined();
    expect(decodeProjections(bytes, transformKeyOf('fit', transform(2)), t.dims)).toBeUndefined();
    expect(decodeProjections(bytes, transformKeyOf('other settings', t), t.dims)).toBeUndefined();
    expect(decodeProjections(bytes, key, t.dims + 1)).toBeUndefined();
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 50] ^= 1;
    expect(decodeProjections(flipped, key, t.dims)).toBeUndefined();
    expect(decodeProjections(bytes.subarray(0, bytes.length - 1), key, t.dims)).toBeUndefined();
    expect(decodeProjections(new Uint8Array(0), key, t.dims)).toBeUndefined();
    // The same numbers make the same key: the key is of the transform, not of the object.
    const copy = { ...t, mean: Float32Array.from(t.mean), projection: Float32Array.from(t.projection) };
    expect(transformKeyOf('fit', copy)).toEqual(key);
  });

  it('refuses a key that is not a content hash', () => {
    const t = transform(1);
    expect(() => new Projections(t, transformKeyOf('fit', t)).of('not hex', embeddings[0])).toThrow(
      /content hash must be hex/,
    );
  });
});
