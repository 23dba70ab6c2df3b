import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseModelSpec, type ModelSpec } from '../core/modelSpec';
import { ensureDefaultModel, ensureNsfwjsModel } from '../models/ensureModel';
import { NSFWJS_MODELS, type NsfwjsAnyModelName } from '../models/nsfwjsModel';

export interface LoadedModel {
  spec: ModelSpec;
  onnxPath: string;
}

/**
 * Reads a model spec file (its `file` is relative to it), or builds/finds a built-in model by name
 * (`mobilenet_v2_mid`, `mobilenet_v2`, `inception_v3`), or the default model when none is given.
 */
export async function loadModel(specPath?: string): Promise<LoadedModel> {
  if (specPath === undefined || (NSFWJS_MODELS as readonly string[]).includes(specPath)) {
    const { spec, onnxPath } = await (specPath === undefined
      ? ensureDefaultModel()
      : ensureNsfwjsModel(specPath as NsfwjsAnyModelName));
    return { spec, onnxPath };
  }
  let text: string;
  try {
    text = await readFile(specPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A bare word was more likely meant as a built-in model's name than as a file.
    const names =
      code === 'ENOENT' && !/[/.]/.test(specPath) ? ` (built-in models: ${NSFWJS_MODELS.join(', ')})` : '';
    throw new Error(`cannot read model spec ${specPath}: ${code ?? String(err)}${names}`, { cause: err });
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
