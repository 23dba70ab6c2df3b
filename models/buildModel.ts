import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { parseModelSpec, type ModelSpec } from '../core/modelSpec';
import { MODEL_WEIGHTS, type ConvertedModel, type ModelWeights, type WeightEncoding } from './convertShared';
import { graphToOnnx } from './graphToOnnx';
import { kerasToOnnx } from './kerasToOnnx';
import { joinModels } from './joinModels';
import { COMPANION_TAPS, NSFWJS_EMBEDDINGS, variantTags, type ModelVariant } from './nsfwjsEmbeddings';
import { loadNsfwjsModel, NSFWJS_MODELS, nsfwjsVersion, type NsfwjsAnyModelName } from './nsfwjsModel';
import { quantizeStatically } from './staticQuantization';
import { ensureStylePairs } from './stylePairs';
import { readStylePairs, stylePairsFileFor } from './stylePairsFile';
import { pathOption, shownPath } from '../storage/cliOptions';

/*
 * npm run build-model [-- --model mobilenet_v2|inception_v3] [--weights float32|float16|int8|int8-qdq] [--out dir]
 *     [--colour-bins 4 [--colour-weight 0.3]] [--scales 128,224]
 * Converts an nsfwjs model (Keras layers model or TF graph model) to generated/models/<model>.onnx +
 * <model>.json (the model spec) + <model>.stamp (what it was built from, so ensureModel can tell when to
 * rebuild).
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..');
export const GENERATED_MODELS_DIR = path.join(REPO_ROOT, 'generated', 'models');

/**
 * The model a build uses when none is named (ensureDefaultModel, build-index, build-model): chosen on the
 * development sets (docs/model.md).
 */
export const DEFAULT_MODEL: NsfwjsAnyModelName = 'mobilenet_v2_mid';

// Every file whose change alters the built model.
const CONVERTER_SOURCES = [
  'nsfwjsModel.ts',
  'onnxGraph.ts',
  'convertShared.ts',
  'kerasToOnnx.ts',
  'graphToOnnx.ts',
  'nsfwjsEmbeddings.ts',
  'joinModels.ts',
  'staticQuantization.ts',
  'onnxGraphEdit.ts',
  'calibrationImages.ts',
  '../core/preprocess.ts',
  'buildModel.ts',
];

interface BuildModelOptions {
  model?: NsfwjsAnyModelName;
  outDir?: string;
  /** Overrides the model's default weight encoding (the output then gets a suffixed name). */
  weights?: ModelWeights;
  /**
   * Overrides parts of the model choice: a colour histogram block appended to the embedding
   * (convertShared.ts colourHistogramBlock), further input scales (graphToOnnx.ts); the output then gets a
   * suffixed name (e.g. mobilenet_v2_mid.rgb4w0.3, mobilenet_v2_mid.s128).
   */
  variant?: ModelVariant;
  quiet?: boolean;
}

interface BuiltModel {
  specPath: string;
  onnxPath: string;
  spec: ModelSpec;
  bytes: number;
}

/** Identifies the inputs of a build: nsfwjs version, converter sources, model and encoding. */
export function buildStamp(
  model: NsfwjsAnyModelName,
  weights: ModelWeights,
  variant: ModelVariant = {},
): string {
  const hash = createHash('sha256');
  for (const file of CONVERTER_SOURCES) hash.update(file).update(readFileSync(path.join(here, file)));
  const { colour, scales, companion } = variant;
  return JSON.stringify({
    nsfwjs: nsfwjsVersion(),
    model,
    weights,
    ...(colour ? { colour: { bins: colour.bins, weight: colour.weight } } : {}),
    ...(scales?.length ? { scales } : {}),
    ...(companion !== undefined ? { companion } : {}),
    converter: hash.digest('hex').slice(0, 16),
  });
}

export function modelFileBase(
  model: NsfwjsAnyModelName,
  weights: ModelWeights,
  variant: ModelVariant = {},
): string {
  const base = weights === NSFWJS_EMBEDDINGS[model].weights ? model : `${model}.${weights}`;
  return [base, ...variantTags(variant)].join('.');
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** The choice's colour block, scales and companion, each replaced by the variant's when it names one. */
function effectiveVariant(model: NsfwjsAnyModelName, variant: ModelVariant): ModelVariant {
  const choice = NSFWJS_EMBEDDINGS[model];
  const scales = variant.scales ?? choice.scales;
  const companion = variant.companion === undefined ? choice.companion : (variant.companion ?? undefined);
  // A single pass and no companion name nothing: the model id is then the one it had before either existed.
  return {
    colour: variant.colour ?? choice.colour,
    ...(scales?.length ? { scales } : {}),
    ...(companion ? { companion } : {}),
  };
}

/** The model's embedding choice (taps, pooling, input size, scales) converted to ONNX with `weights`. */
export function convertEmbedding(
  model: NsfwjsAnyModelName,
  weights: WeightEncoding,
  variant: ModelVariant = {},
): ConvertedModel {
  const { companion, ...own } = effectiveVariant(model, variant);
  const converted = convertOne(model, weights, own);
  if (!companion) return converted;
  const taps = COMPANION_TAPS[companion.model];
  if (!taps)
    throw new Error(
      `${companion.model} cannot be a companion (one of ${Object.keys(COMPANION_TAPS).join(', ')})`,
    );
  const partner = NSFWJS_EMBEDDINGS[companion.model];
  const source = loadNsfwjsModel(companion.model);
  if (source.format !== 'layers')
    throw new Error(`companion ${companion.model}: only Keras models are supported`);
  const second = kerasToOnnx(source.topology, source.weights, {
    layers: taps.layers,
    pooling: taps.pooling,
    inputSize: { height: companion.side, width: companion.side },
    output: 'embedding',
    weights,
  });
  return joinModels(converted, second, {
    mainRange: NSFWJS_EMBEDDINGS[model].input,
    companionRange: partner.input,
    weight: companion.weight,
    standardise: companion.standardise,
    graphName: NSFWJS_EMBEDDINGS[model].id,
  });
}

/** One network's embedding: taps, pooling, input size, colour block and scales. */
function convertOne(
  model: NsfwjsAnyModelName,
  weights: WeightEncoding,
  variant: ModelVariant,
): ConvertedModel {
  const choice = NSFWJS_EMBEDDINGS[model];
  const { colour: block, scales } = variant;
  const head = {
    output: 'embedding',
    weights,
    graphName: choice.id,
    pooling: choice.pooling,
    inputSize: choice.inputSize,
    ...(block ? { colour: { ...block, pixel: { mean: choice.input.mean, std: choice.input.std } } } : {}),
  } as const;
  const source = loadNsfwjsModel(model);
  if (source.format === 'graph') {
    const sizes = scales?.map((side) => ({ height: side, width: side }));
    return graphToOnnx(source.nodes, source.weights, { taps: choice.layers, scales: sizes, ...head });
  }
  if (scales?.length) throw new Error(`${model}: further input scales need a TF graph model`);
  return kerasToOnnx(source.topology, source.weights, { layers: choice.layers, ...head });
}

export async function buildModel(opts: BuildModelOptions = {}): Promise<BuiltModel> {
  const model = opts.model ?? DEFAULT_MODEL;
  if (!NSFWJS_MODELS.includes(model))
    throw new Error(`unknown model '${model}': expected ${NSFWJS_MODELS.join(' or ')}`);
  const choice = NSFWJS_EMBEDDINGS[model];
  const weights = opts.weights ?? choice.weights;
  const outDir = path.resolve(opts.outDir ?? GENERATED_MODELS_DIR);
  const started = Date.now();
  const variant = opts.variant ?? {};
  // An int8 model is converted in float32 first: the quantizer reads exact weights and calibrates on them.
  const converted = convertEmbedding(model, weights === 'int8-qdq' ? 'float32' : weights, variant);
  const [, height, width] = converted.inputShape;
  if (width !== choice.input.width || height !== choice.input.height) {
    throw new Error(
      `${model}: model input is ${width}×${height}, the embedding choice says ${choice.input.width}×${choice.input.height}`,
    );
  }
  const input = { ...choice.input, name: converted.inputName };
  const bytes = weights === 'int8-qdq' ? await quantizeStatically(converted.onnx, input) : converted.onnx;
  const base = modelFileBase(model, weights, variant);
  // The id names the colour block and scales whether the choice has them or the caller added them (same
  // bytes, same id).
  const tags = variantTags(effectiveVariant(model, variant));
  // The framing changes what the model sees, not its bytes: the id names it too.
  const framing = input.frameSubject;
  const frame = framing
    ? [
        `frame${framing.coverage}a${framing.alphaAbove}` +
          (framing.uniformMargin ? `m${framing.uniformMargin.tolerance}` : ''),
      ]
    : [];
  const spec = parseModelSpec({
    specVersion: framing?.uniformMargin ? 3 : framing ? 2 : 1,
    // The id keys embedding caches, so it must change whenever the model's output could: name the bytes.
    id: [
      choice.id,
      ...tags,
      ...frame,
      weights,
      createHash('sha256').update(bytes).digest('hex').slice(0, 8),
    ].join('-'),
    file: `${base}.onnx`,
    input,
    output: converted.outputs[0],
  });
  mkdirSync(outDir, { recursive: true });
  const onnxPath = path.join(outDir, `${base}.onnx`);
  const specPath = path.join(outDir, `${base}.json`);
  writeAtomic(onnxPath, bytes);
  writeAtomic(specPath, `${JSON.stringify(spec, null, 2)}\n`);
  await dropStaleStylePairs(specPath, createHash('sha256').update(bytes).digest('hex'));
  // The stamp goes last: a build interrupted before it is rebuilt next time.
  writeAtomic(path.join(outDir, `${base}.stamp`), buildStamp(model, weights, variant));
  if (!opts.quiet) {
    const mb = (bytes.length / 1e6).toFixed(2);
    console.log(
      `built ${shownPath(onnxPath)} (${mb} MB, ${weights} weights, ${spec.output.dim}-d ${spec.output.name}) in ${Date.now() - started} ms`,
    );
  }
  return { specPath, onnxPath, spec, bytes: bytes.length };
}

/** `--colour-weight` when `--colour-bins` is given without it. */
const DEFAULT_COLOUR_WEIGHT = 0.3;

/** Which models have a colour block of their own, and which: `mobilenet_v2_mid: 6 bins at weight 0.1; the others none`. */
function colourChoices(): string {
  const own = NSFWJS_MODELS.flatMap((m) => {
    const c = NSFWJS_EMBEDDINGS[m].colour;
    return c === undefined ? [] : [`${m}: ${c.bins} bins at weight ${c.weight}`];
  });
  return own.length === 0 ? 'none has one' : `${own.join('; ')}; the others none`;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('build-model')
    .description('Convert an nsfwjs model (Keras layers or TF graph) into an ONNX embedding model + spec')
    .addOption(
      new Option('--model <name>', 'which nsfwjs model').choices(NSFWJS_MODELS).default(DEFAULT_MODEL),
    )
    .addOption(
      new Option(
        '--weights <encoding>',
        "weight storage, or int8-qdq: int8 weights and activations (default: the model's choice)",
      ).choices(MODEL_WEIGHTS),
    )
    .option('--out <dir>', 'output folder', pathOption, GENERATED_MODELS_DIR)
    .option(
      '--colour-bins <n>',
      `a colour histogram block with n³ joint RGB bins, replacing the model's choice (${colourChoices()})`,
      Number,
    )
    .option(
      '--colour-weight <w>',
      `with --colour-bins: its weight next to each unit-length tap block (default ${DEFAULT_COLOUR_WEIGHT})`,
      Number,
    )
    .option(
      '--scales <sides>',
      "further passes over the input resized to these square sides in px, e.g. 128,224, or 'none' (TF graph models)",
      parseSides,
    )
    .option(
      '--companion <model>',
      "join a second network (e.g. mobilenet_v2), or 'none' to drop the choice's",
    )
    .option(
      '--companion-side <px>',
      "its square input side in px (default: the main model's input side)",
      Number,
    )
    .option('--companion-weight <w>', 'its share next to the main embedding (default 0.5)', Number)
    .option('--companion-raw', 'feed it the input as it is, not standardised per image')
    .parse(argv);
  const o = program.opts<{
    model: NsfwjsAnyModelName;
    weights?: ModelWeights;
    out: string;
    colourBins?: number;
    colourWeight?: number;
    scales?: number[];
    companion?: string;
    companionSide?: number;
    companionWeight?: number;
    companionRaw?: boolean;
  }>();
  if (o.colourWeight !== undefined && o.colourBins === undefined)
    throw new Error('--colour-weight needs --colour-bins');
  const colour =
    o.colourBins === undefined
      ? undefined
      : { bins: o.colourBins, weight: o.colourWeight ?? DEFAULT_COLOUR_WEIGHT };
  const variant: ModelVariant = {
    ...(colour ? { colour } : {}),
    ...(o.scales ? { scales: o.scales } : {}),
    ...companionOption(o.model, o),
  };
  const built = await buildModel({ model: o.model, weights: o.weights, outDir: o.out, variant });
  const choice = NSFWJS_EMBEDDINGS[o.model];
  if (
    choice.stylePairs &&
    (o.weights ?? choice.weights) === choice.weights &&
    variantTags(variant).length === 0
  )
    await ensureStylePairs(built);
}

/** Style pairs next to the spec that another model file made would fail the next index build: removed. */
async function dropStaleStylePairs(specPath: string, modelSha256: string): Promise<void> {
  const file = stylePairsFileFor(specPath);
  const pairs = await readStylePairs(file).catch(() => undefined);
  if (existsSync(file) && pairs?.modelSha256 !== modelSha256) rmSync(file, { force: true });
}

function companionOption(
  model: NsfwjsAnyModelName,
  o: { companion?: string; companionSide?: number; companionWeight?: number; companionRaw?: boolean },
): Pick<ModelVariant, 'companion'> {
  const tuned = o.companionSide !== undefined || o.companionWeight !== undefined || o.companionRaw;
  if (o.companion === undefined) {
    if (tuned) throw new Error('--companion-side, --companion-weight and --companion-raw need --companion');
    return {};
  }
  if (o.companion === 'none') return { companion: null };
  const name = o.companion as NsfwjsAnyModelName;
  const companions = Object.keys(COMPANION_TAPS);
  if (!companions.includes(name))
    throw new Error(`--companion ${o.companion}: expected ${companions.join(', ')} or none`);
  const side = o.companionSide ?? NSFWJS_EMBEDDINGS[model].input.width;
  if (!(Number.isInteger(side) && side >= 32 && side <= 1024))
    throw new Error(`--companion-side ${side}: expected a side in px (32–1024)`);
  const weight = o.companionWeight ?? 0.5;
  if (!(Number.isFinite(weight) && weight > 0))
    throw new Error(`--companion-weight ${weight}: expected a positive number`);
  return { companion: { model: name, side, weight, standardise: !o.companionRaw } };
}

function parseSides(list: string): number[] {
  if (list === 'none') return [];
  const sides = list.split(',').map(Number);
  if (sides.some((s) => !(Number.isInteger(s) && s >= 32 && s <= 1024)))
    throw new Error(`--scales ${list}: expected comma-separated sides in px (32–1024)`);
  return sides;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv).catch((err: unknown) => {
    console.error(`build-model: ${(err as Error).message}`);
    process.exit(1);
  });
}
