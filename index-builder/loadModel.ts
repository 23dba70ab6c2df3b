import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseModelSpec, type ModelSpec } from '../core/modelSpec';
import { ensureDefaultModel } from '../models/ensureModel';

export interface LoadedModel {
  spec: ModelSpec;
  onnxPath: string;
}

/** Reads a model spec file (its `file` is relative to it), or builds/finds the default model. */
export async function loadModel(specPath?: string): Promise<LoadedModel> {
  if (specPath === undefined) {
    const { spec, onnxPath } = await ensureDefaultModel();
    return { spec, onnxPath };
  }
  let text: string;
  try {
    text = await readFile(specPath, 'utf8');
  } catch (err) {
    throw new Error(`cannot read model spec ${specPath}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`model spec ${specPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const spec = parseModelSpec(json);
  return { spec, onnxPath: resolve(dirname(specPath), spec.file) };
}
