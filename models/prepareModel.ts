import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { featurize } from '../core/featurize';
import { parseModelSpec, type ModelSpec } from '../core/modelSpec';
import type { RgbaImage } from '../core/rgbaImage';
import { onnx, type GraphProto } from './onnxGraph';
import { appendToGraph } from './onnxGraphEdit';
import { pathOption, shownPath } from '../storage/cliOptions';

/*
 * npm run prepare-model -- --in <model.onnx> --spec <spec.json> --out <dir> [--tensor <name>]
 * Turns a classification model into an embedding model: the spec names the pooled feature tensor before
 * the classifier; this exposes it as a graph output (through DequantizeLinear if the model keeps it
 * quantized), writes <dir>/<spec.file> and <dir>/<name>.json, and checks the result with onnxruntime.
 */

// Where quantized ops keep the (scale, zero point) of an input or output tensor: [tensor index, scale index].
const CONSUMER_QPARAMS: Record<string, [number, number][]> = {
  DequantizeLinear: [[0, 1]],
  QLinearConv: [
    [0, 1],
    [3, 4],
  ],
  QLinearMatMul: [
    [0, 1],
    [3, 4],
  ],
  QLinearAdd: [
    [0, 1],
    [3, 4],
  ],
  QLinearMul: [
    [0, 1],
    [3, 4],
  ],
  QLinearConcat: [],
  QLinearGlobalAveragePool: [[0, 1]],
  QLinearAveragePool: [[0, 1]],
  QLinearSigmoid: [[0, 1]],
  QLinearLeakyRelu: [[0, 1]],
  QGemm: [
    [0, 1],
    [3, 4],
  ],
};
const PRODUCER_QPARAMS: Record<string, number> = {
  QuantizeLinear: 1,
  QLinearConv: 6,
  QLinearMatMul: 6,
  QLinearAdd: 6,
  QLinearMul: 6,
  QLinearGlobalAveragePool: 3,
  QLinearAveragePool: 3,
  QLinearSigmoid: 3,
  QLinearLeakyRelu: 3,
};

interface PrepareModelOptions {
  inPath: string;
  specPath: string;
  outDir: string;
  /** The feature tensor to expose; defaults to the spec's output.name. */
  tensor?: string;
}

function readSpec(file: string): ModelSpec {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read model spec ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseModelSpec(json);
}

/** Tensors worth suggesting when the named one is missing: pooling / flatten outputs. */
function candidateTensors(graph: GraphProto): string[] {
  const ops = new Set([
    'GlobalAveragePool',
    'QLinearGlobalAveragePool',
    'ReduceMean',
    'Flatten',
    'AveragePool',
  ]);
  return (graph.node ?? []).filter((n) => ops.has(n.opType ?? '')).flatMap((n) => n.output ?? []);
}

/** The (scale, zero point) tensor names of a quantized tensor, or undefined if it is a float tensor. */
function quantParams(graph: GraphProto, tensor: string): [string, string] | undefined {
  const nodes = graph.node ?? [];
  const producer = nodes.find((n) => (n.output ?? []).includes(tensor));
  const at = producer ? PRODUCER_QPARAMS[producer.opType ?? ''] : undefined;
  if (producer && at !== undefined) return [producer.input![at], producer.input![at + 1]];
  for (const n of nodes) {
    for (const [tensorIndex, scaleIndex] of CONSUMER_QPARAMS[n.opType ?? ''] ?? []) {
      if (n.input?.[tensorIndex] === tensor) return [n.input[scaleIndex], n.input[scaleIndex + 1]];
    }
  }
  if (producer?.opType?.startsWith('QLinear')) {
    throw new Error(
      `tensor ${tensor} is produced by ${producer.opType}, whose quantization parameters are unknown`,
    );
  }
  return undefined;
}

/** A deterministic test card: gradients and a disc, so every channel sees structure. */
function testCard(size = 256): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const inDisc = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 4) ** 2;
      data.set([inDisc ? 230 : x % 256, inDisc ? 40 : y % 256, (x + y) % 256, 255], (y * size + x) * 4);
    }
  return { width: size, height: size, data };
}

export async function prepareModel(
  opts: PrepareModelOptions,
): Promise<{ onnxPath: string; specPath: string; spec: ModelSpec }> {
  const spec = readSpec(opts.specPath);
  const bytes = new Uint8Array(readFileSync(opts.inPath));
  let model: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${opts.inPath} is not an ONNX model: ${(err as Error).message}`, { cause: err });
  }
  const graph = model.graph;
  if (!graph) throw new Error(`${opts.inPath}: the model has no graph`);
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).map((i) => i.name ?? '').filter((n) => !initializers.has(n));
  if (!inputs.includes(spec.input.name)) {
    throw new Error(
      `${opts.inPath} has no input '${spec.input.name}' (inputs: ${inputs.join(', ')}); fix the spec`,
    );
  }
  const tensor = opts.tensor ?? spec.output.name;
  const produced = new Set((graph.node ?? []).flatMap((n) => n.output ?? []));
  if (!produced.has(tensor)) {
    const hint = candidateTensors(graph);
    throw new Error(
      `${opts.inPath} has no tensor '${tensor}'` +
        (hint.length ? `; pooling/flatten outputs are: ${hint.join(', ')} (pass --tensor)` : ''),
    );
  }

  const q = quantParams(graph, tensor);
  const outputName = q ? `${tensor}_dequantized` : tensor;
  const alreadyOutput = (graph.output ?? []).some((o) => o.name === outputName);
  const edited = alreadyOutput
    ? bytes
    : appendToGraph(bytes, {
        nodes: q
          ? [
              {
                opType: 'DequantizeLinear',
                name: `${tensor}/expose`,
                input: [tensor, q[0], q[1]],
                output: [outputName],
              },
            ]
          : [],
        outputs: [{ name: outputName, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }],
      });

  const prepared: ModelSpec = { ...spec, output: { ...spec.output, name: outputName } };
  mkdirSync(opts.outDir, { recursive: true });
  const onnxPath = path.join(opts.outDir, path.basename(prepared.file));
  const specPath = path.join(opts.outDir, `${path.basename(prepared.file, '.onnx')}.json`);
  const tmp = `${onnxPath}.${process.pid}.tmp`;
  writeFileSync(tmp, edited);

  // Run the edited model once so a wrong spec (input size, dim) fails here, not in the index builder.
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(tmp, { intraOpNumThreads: 1 });
  } catch (err) {
    throw new Error(`onnxruntime cannot load the prepared model: ${(err as Error).message}`, { cause: err });
  }
  try {
    const runner = {
      async run(input: Float32Array, dims: readonly number[]) {
        const out = await session.run({ [spec.input.name]: new ort.Tensor('float32', input, dims) }, [
          outputName,
        ]);
        return out[outputName].data as Float32Array;
      },
    };
    await featurize(runner, prepared, [testCard()]);
  } finally {
    await session.release();
  }
  renameSync(tmp, onnxPath);
  writeFileSync(specPath, `${JSON.stringify(prepared, null, 2)}\n`);
  return { onnxPath, specPath, spec: prepared };
}

async function main(argv: string[]): Promise<void> {
  const o = new Command()
    .name('prepare-model')
    .description('Expose the pooled feature tensor of an ONNX classifier as the embedding output')
    .requiredOption('--in <onnx>', 'the downloaded ONNX model (required)', pathOption)
    .requiredOption(
      '--spec <json>',
      'its spec, e.g. models/specs/resnet50-v1-12-qdq.json (required)',
      pathOption,
    )
    .requiredOption('--out <dir>', 'where to write the prepared model and spec (required)', pathOption)
    .option('--tensor <name>', "feature tensor to expose (default: the spec's output.name)")
    .parse(argv)
    .opts<{ in: string; spec: string; out: string; tensor?: string }>();
  const result = await prepareModel({ inPath: o.in, specPath: o.spec, outDir: o.out, tensor: o.tensor });
  console.log(
    `wrote ${shownPath(result.onnxPath)} and ${shownPath(result.specPath)} (${result.spec.output.dim}-d ${result.spec.output.name})`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv).catch((err: unknown) => {
    console.error(`prepare-model: ${(err as Error).message}`);
    process.exit(1);
  });
}
