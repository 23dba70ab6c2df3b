import { describe, expect, it } from 'vitest';
import { compactVector, projectEmbedding, quantize, type VectorTransform } from './vectorTransform';

/** inputDim 3 → dims 2: drops the last coordinate after removing the mean. */
const transform: VectorTransform = {
  inputDim: 3,
  dims: 2,
  mean: new Float32Array([0.5, 0, 0]),
  projection: new Float32Array([1, 0, 0, 0, 2, 0]),
  quantScale: 100,
};

describe('compactVector', () => {
  it('centres, projects, normalises and quantizes', () => {
    // (1.5,1,9) − mean = (1,1,9) → (1, 2) → (0.447, 0.894) → ×100.
    expect(Array.from(compactVector(transform, new Float32Array([1.5, 1, 9])))).toEqual([45, 89]);
    const unit = projectEmbedding(transform, new Float32Array([1.5, 1, 9]));
    expect(Math.hypot(unit[0], unit[1])).toBeCloseTo(1, 12);
  });

  it('maps an embedding equal to the mean to the zero vector', () => {
    expect(Array.from(compactVector(transform, new Float32Array([0.5, 0, 7])))).toEqual([0, 0]);
  });

  it('clamps to ±127 when the scale overshoots', () => {
    expect(Array.from(quantize(Float64Array.from([1, -1, 0.001]), 500))).toEqual([127, -127, 1]);
  });

  it('rejects embeddings of the wrong size or with non-finite values', () => {
    expect(() => compactVector(transform, new Float32Array(4))).toThrow(/4 values, the index expects 3/);
    expect(() => compactVector(transform, new Float32Array([NaN, 0, 0]))).toThrow(/not finite/);
  });
});
