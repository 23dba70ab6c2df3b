import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseModelSpec, type ModelSpec } from '../core/modelSpec';
import { ensureDefaultModel, ensureNsfwjsModel } from '../models/ensureModel';
import { MODEL_WEIGHTS, type ModelWeights } from '../models/convertShared';
import { NSFWJS_MODELS, type NsfwjsAnyModelName } from '../models/nsfwjsModel';
import { stylePairsFileFor } from '../models/stylePairsFile';

export interface LoadedModel {
  spec: ModelSpec;
  onnxPath: string;
  /** The model's style pairs (models/stylePairsFile.ts), when it has them. */
  stylePairsFile?: string;
}

/**
 * Reads a model spec file (its `file` is relative to it), or builds/finds a built-in model by name
 * (`mobilenet_v2_mid`, `mobilenet_v2`, `inception_v3`, each also as `<name>.<weights>`, e.g.
 * `mobilenet_v2_mid.int8-qdq`, the file name `npm run build-model -- --weights` gives it), or the
 * default model when none is given. A spec's style pairs are the `.style-pairs.bin` file next to it.
 */
export async function loadModel(specPath?: string): Promise<LoadedModel> {
  if (specPath === undefined) return ensureDefaultModel();
  const builtIn = builtInModel(specPath);
  if (builtIn) return ensureNsfwjsModel(builtIn.model, { weights: builtIn.weights });
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
  const stylePairsFile = stylePairsFileFor(specPath);
  return {
    spec,
    onnxPath: resolve(dirname(specPath), spec.file),
    ...(existsSync(stylePairsFile) ? { stylePairsFile } : {}),
  };
}

/** `name` or `name.weights` of a built-in model, else undefined (a spec file's path). */
function builtInModel(arg: string): { model: NsfwjsAnyModelName; weights?: ModelWeights } | undefined {
  const [name, weights, ...rest] = arg.split('.');
  if (rest.length > 0 || !(NSFWJS_MODELS as readonly string[]).includes(name)) return undefined;
  if (weights === undefined) return { model: name as NsfwjsAnyModelName };
  if (!(MODEL_WEIGHTS as readonly string[]).includes(weights)) return undefined;
  return { model: name as NsfwjsAnyModelName, weights: weights as ModelWeights };
}
