import type { ModelSpec } from './modelSpec';
import { preprocessBatch, type PreprocessOptions } from './preprocess';
import type { RgbaImage } from './rgbaImage';

/** Runs the model on a preprocessed batch; implemented over onnxruntime-node or onnxruntime-web. */
export interface ModelRunner {
  /** Returns the spec's output tensor, N×dim or N×dim×1×1, flattened. */
  run(input: Float32Array, dims: readonly number[]): Promise<Float32Array>;
}

/** Embeds the images with the model: one L2-normalised row of `spec.output.dim` floats per image. */
export async function featurize(
  runner: ModelRunner,
  spec: ModelSpec,
  images: RgbaImage[],
  options: PreprocessOptions = {},
): Promise<Float32Array[]> {
  if (images.length === 0) return [];
  const { input } = spec;
  const n = images.length;
  const batch = preprocessBatch(images, input, options);
  const dims =
    input.layout === 'NCHW' ? [n, 3, input.height, input.width] : [n, input.height, input.width, 3];
  const output = await runner.run(batch, dims);
  const dim = spec.output.dim;
  if (output.length !== n * dim) {
    throw new Error(
      `featurize: model '${spec.id}' returned ${output.length} values for ${n} image(s), expected ${n}×${dim}`,
    );
  }
  const rows: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = output.slice(i * dim, (i + 1) * dim);
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += row[j] * row[j];
    if (!Number.isFinite(sum))
      throw new Error(`featurize: model '${spec.id}' returned a non-finite value for image ${i}`);
    // An all-zero activation has no direction; it stays zero and so scores 0 against everything.
    if (sum > 0) {
      const inv = 1 / Math.sqrt(sum);
      for (let j = 0; j < dim; j++) row[j] *= inv;
    }
    rows.push(row);
  }
  return rows;
}
