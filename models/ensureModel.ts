import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseModelSpec, type ModelSpec } from '../core/modelSpec';
import { buildModel, buildStamp, DEFAULT_MODEL, GENERATED_MODELS_DIR, modelFileBase } from './buildModel';
import type { ModelWeights } from './convertShared';
import { NSFWJS_EMBEDDINGS } from './nsfwjsEmbeddings';
import type { NsfwjsAnyModelName } from './nsfwjsModel';
import { ensureStylePairs } from './stylePairs';

export interface EnsuredModel {
  specPath: string;
  onnxPath: string;
  spec: ModelSpec;
  /** Its style pairs (stylePairs.ts), for a choice that has them in its own weights. */
  stylePairsFile?: string;
}

/**
 * generated/models/<model>.{onnx,json}, built first if missing or if its stamp (nsfwjs version, converter
 * sources, weight encoding) differs from what the current sources would build; and the model's style
 * pairs, embedded first if missing or made from another model file.
 */
export async function ensureNsfwjsModel(
  model: NsfwjsAnyModelName,
  opts: { quiet?: boolean; weights?: ModelWeights } = {},
): Promise<EnsuredModel> {
  const weights = opts.weights ?? NSFWJS_EMBEDDINGS[model].weights;
  const base = path.join(GENERATED_MODELS_DIR, modelFileBase(model, weights));
  const specPath = `${base}.json`;
  const onnxPath = `${base}.onnx`;
  const stampPath = `${base}.stamp`;
  const upToDate =
    existsSync(stampPath) &&
    existsSync(specPath) &&
    existsSync(onnxPath) &&
    readFileSync(stampPath, 'utf8') === buildStamp(model, weights);
  let ensured: EnsuredModel;
  if (upToDate) {
    ensured = { specPath, onnxPath, spec: parseModelSpec(JSON.parse(readFileSync(specPath, 'utf8'))) };
  } else {
    if (!opts.quiet) console.log(`building ${path.basename(onnxPath)} (missing or stale)…`);
    const built = await buildModel({ model, weights, quiet: opts.quiet });
    ensured = { specPath: built.specPath, onnxPath: built.onnxPath, spec: built.spec };
  }
  // Other weight encodings (int8-qdq) fit without them: measured only in the choice's own.
  if (!NSFWJS_EMBEDDINGS[model].stylePairs || weights !== NSFWJS_EMBEDDINGS[model].weights) return ensured;
  return { ...ensured, stylePairsFile: await ensureStylePairs(ensured, opts) };
}

/** The default model, mobilenet_v2_mid (see docs/model.md). */
export function ensureDefaultModel(opts: { quiet?: boolean } = {}): Promise<EnsuredModel> {
  return ensureNsfwjsModel(DEFAULT_MODEL, opts);
}
