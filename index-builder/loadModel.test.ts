import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from './loadModel';

describe('loadModel', () => {
  it('builds a built-in model with its weights named (`mobilenet_v2_mid.int8-qdq`), as build-model names the file', async () => {
    const model = await loadModel('mobilenet_v2_mid.int8-qdq');
    expect(path.basename(model.onnxPath)).toBe('mobilenet_v2_mid.int8-qdq.onnx');
    expect(model.spec.id).toMatch(/^mobilenet_v2_mid-.*-int8-qdq-[0-9a-f]{8}$/);
    const plain = await loadModel('mobilenet_v2_mid');
    expect(model.spec.output).toEqual(plain.spec.output);
    expect(model.spec.id).not.toBe(plain.spec.id);
    // Style pairs come with the default weights only (measured there: docs/model.md#shipped-style-pairs).
    expect(model.stylePairsFile).toBeUndefined();
    expect(path.basename(plain.stylePairsFile!)).toBe('mobilenet_v2_mid.style-pairs.bin');
    // A spec file finds the pairs next to it.
    const bySpec = await loadModel(plain.onnxPath.replace(/\.onnx$/, '.json'));
    const { spec, onnxPath, stylePairsFile } = plain;
    expect(bySpec).toEqual({ spec, onnxPath, stylePairsFile });
  }, 300_000);

  it('reads anything else as a spec file, with a clear error when there is none', async () => {
    await expect(loadModel('mobilenet_v2_mid.int4')).rejects.toThrow(
      /cannot read model spec mobilenet_v2_mid\.int4: ENOENT/,
    );
    await expect(loadModel('resnet')).rejects.toThrow(
      /cannot read model spec resnet: ENOENT \(built-in models: /,
    );
  });
});
