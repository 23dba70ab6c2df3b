import type { ModelSpec } from '../core/modelSpec';

/** A valid model spec for tests that need one but never run the model (its file need not exist). */
export const FIXTURE_MODEL_SPEC: ModelSpec = {
  specVersion: 1,
  id: 'fixture-model',
  file: 'model.onnx',
  input: {
    name: 'input',
    layout: 'NCHW',
    width: 224,
    height: 224,
    fit: 'center-crop',
    cropFraction: 1,
    resize: 'bilinear-antialias',
    scale: 1 / 255,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  },
  output: { name: 'embedding', dim: 8 },
};

/** FIXTURE_MODEL_SPEC with some fields of its own (a fresh object, safe to change). */
export function fixtureModelSpec(
  change: Partial<Pick<ModelSpec, 'id' | 'file'>> & {
    input?: Partial<ModelSpec['input']>;
    output?: Partial<ModelSpec['output']>;
  } = {},
): ModelSpec {
  const { input, output, ...top } = change;
  return structuredClone({
    ...FIXTURE_MODEL_SPEC,
    ...top,
    input: { ...FIXTURE_MODEL_SPEC.input, ...input },
    output: { ...FIXTURE_MODEL_SPEC.output, ...output },
  });
}
