import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featurize } from '../core/featurize';
import { decodeImage } from './decodeImage';
import { emojiPng } from '../testing/builderFixtures';
import { loadModel, type LoadedModel } from './loadModel';
import { createOnnxModelRunner, type OnnxModelRunner } from './onnxModelRunner';
import { createWorkerModelRunner } from './workerModelRunner';

describe('WorkerModelRunner', () => {
  let model: LoadedModel;
  let inProcess: OnnxModelRunner;
  let worker: OnnxModelRunner;
  beforeAll(async () => {
    model = await loadModel();
    inProcess = await createOnnxModelRunner(model.onnxPath, model.spec, 1);
    worker = await createWorkerModelRunner(model.onnxPath, model.spec, 1);
  });
  afterAll(async () => {
    await inProcess?.release();
    await worker?.release();
  });

  it('gives exactly what the in-process runner gives, for overlapping calls too', async () => {
    const images = await Promise.all(
      ['1f600.png', '1f436.png', '1f355.png'].map(
        async (f) => (await decodeImage(await readFile(emojiPng('apple', f)))).image,
      ),
    );
    const expected = await featurize(inProcess, model.spec, images);
    const [a, b] = await Promise.all([
      featurize(worker, model.spec, images),
      featurize(worker, model.spec, images.slice(1)),
    ]);
    expect(a).toEqual(expected);
    expect(b).toEqual(expected.slice(1));
  });

  it('rejects a bad call with the runtime message and keeps working', async () => {
    await expect(worker.run(new Float32Array(10), [1, 3, 224, 224])).rejects.toThrow(/./);
    const image = (await decodeImage(await readFile(emojiPng('google', '1f431.png')))).image;
    expect(await featurize(worker, model.spec, [image])).toHaveLength(1);
  });

  it('fails to start with a clear error for a file that is not a model', async () => {
    await expect(createWorkerModelRunner('/nonexistent/model.onnx', model.spec)).rejects.toThrow(
      /cannot load model \/nonexistent\/model.onnx/,
    );
  });
});
