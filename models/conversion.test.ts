import type * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { featurize } from '../core/featurize';
import { preprocessBatch } from '../core/preprocess';
import type { RgbaImage } from '../core/rgbaImage';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { ensureNsfwjsModel } from './ensureModel';
import { NSFWJS_EMBEDDINGS } from './nsfwjsEmbeddings';
import { loadNsfwjsModel, type NsfwjsModel } from './nsfwjsModel';
import {
  cosine,
  embeddingFromPooled,
  emojiFixtures,
  minRowCosine,
  onnxPooled,
  rows,
} from './research/parity';
import { loadTfjsModel, tfjsPooled } from './research/tfjsReference';

/*
 * Parity: the converted ONNX models must give the same pooled activations as TF.js running the original
 * Keras model on the same weights and the same preprocessed pixels.
 */

describe('mobilenet_v2 conversion matches TF.js', () => {
  let keras: NsfwjsModel;
  let reference: tf.LayersModel;
  let images: RgbaImage[];
  const input = NSFWJS_EMBEDDINGS.mobilenet_v2.input;
  const dims = [3, 3, 224, 224];

  beforeAll(async () => {
    keras = loadNsfwjsModel('mobilenet_v2');
    reference = await loadTfjsModel(keras);
    images = await emojiFixtures([
      ['apple', '1F600'],
      ['google', '1F436'],
      ['twitter', '1F34E'],
    ]);
  });

  it('the built mobilenet_v2 model (through core/featurize) at its embedding layer', async () => {
    const { spec, onnxPath } = await ensureNsfwjsModel('mobilenet_v2', { quiet: true });
    const runner = await createOnnxModelRunner(onnxPath, spec, 1);
    const embeddings = await featurize(runner, spec, images);
    await runner.release();
    const x = preprocessBatch(images, spec.input);
    const refRows = embeddingFromPooled(
      tfjsPooled(reference, NSFWJS_EMBEDDINGS.mobilenet_v2.layers, x, dims),
      images.length,
    );
    for (let i = 0; i < images.length; i++) {
      expect(embeddings[i].length).toBe(spec.output.dim);
      expect(cosine(embeddings[i], refRows[i])).toBeGreaterThanOrEqual(0.999);
    }
    // Different emoji must not collapse to one vector (a broken graph often yields constants).
    expect(cosine(embeddings[0], embeddings[1])).toBeLessThan(0.995);
  });

  it('float32 conversion is exact at several layers, including the classifier', async () => {
    const layers = ['block_5_add', 'block_13_expand_relu', 'out_relu', 'dense_3'];
    const x = preprocessBatch(images, input);
    const ours = await onnxPooled(keras, layers, 'float32', x, dims);
    const ref = tfjsPooled(reference, layers, x, dims);
    layers.forEach((_, k) =>
      expect(minRowCosine(ours[k], ref[k], images.length)).toBeGreaterThanOrEqual(0.99999),
    );
    // The classifier's softmax rows sum to 1, as in TF.js.
    for (const row of rows(ours[3], images.length)) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
  });

  it('float16 weights stay within cosine 0.999 at another layer; int8 within 0.99', async () => {
    const layers = ['block_12_add'];
    const x = preprocessBatch(images, input);
    const [ref] = tfjsPooled(reference, layers, x, dims);
    const [half] = await onnxPooled(keras, layers, 'float16', x, dims);
    expect(minRowCosine(half, ref, images.length)).toBeGreaterThanOrEqual(0.999);
    const [int8] = await onnxPooled(keras, layers, 'int8', x, dims);
    expect(minRowCosine(int8, ref, images.length)).toBeGreaterThanOrEqual(0.99);
  });
});

describe('inception_v3 conversion matches TF.js', () => {
  // TF.js's CPU backend needs ~20 s for one 299 px InceptionV3 image on an idle core.
  it('at its embedding layer and at the classifier (one image)', { timeout: 600_000 }, async () => {
    const keras = loadNsfwjsModel('inception_v3');
    const { spec, onnxPath } = await ensureNsfwjsModel('inception_v3', { quiet: true });
    const images = await emojiFixtures([['google', '1F355']]);
    const runner = await createOnnxModelRunner(onnxPath, spec, 1);
    const [embedding] = await featurize(runner, spec, images);
    await runner.release();
    const x = preprocessBatch(images, spec.input);
    const dims = [1, 3, 299, 299];
    const reference = await loadTfjsModel(keras);
    const { layers } = NSFWJS_EMBEDDINGS.inception_v3;
    const ref = tfjsPooled(reference, [...layers, 'dense_3'], x, dims);
    expect(embedding.length).toBe(spec.output.dim);
    const [refEmbedding] = embeddingFromPooled(ref.slice(0, layers.length), 1);
    expect(cosine(embedding, refEmbedding)).toBeGreaterThanOrEqual(0.999);
    const [classifier] = await onnxPooled(keras, ['dense_3'], 'float32', x, dims);
    expect(cosine(classifier, ref[layers.length])).toBeGreaterThanOrEqual(0.99999);
  });
});
