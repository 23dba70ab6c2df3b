import { type ConvertedModel, resizeNchw } from './convertShared';
import { onnx, OnnxGraph, valueInfo, type GraphProto, type NodeProto } from './onnxGraph';

/*
 * Two embedding networks in one ONNX file on one input: the main model's graph as it is, and a
 * companion's graph fed the same input tensor, mapped to the companion's pixel range, resized to its
 * side and (optionally) standardised per image. The output is L2norm(concat(main, weight · companion)),
 * both parts unit length, so `weight` is the companion's share of every cosine. One file keeps one
 * runtime session, one download and one model id for the pair (docs/model.md#a-second-network-the-companion).
 */

/** How a model's input tensor relates to [0, 1] pixels: x = (pixel − mean) / std per channel. */
export interface PixelRange {
  mean: readonly number[];
  std: readonly number[];
}

interface JoinOptions {
  mainRange: PixelRange;
  companionRange: PixelRange;
  /** The companion's share: its unit vector is scaled by this before the final normalisation. */
  weight: number;
  /**
   * Shift and scale each image's companion input (all channels and pixels together) to mean 0 and
   * standard deviation 0.5, clipped to [−1, 1]: the companion then ignores brightness and contrast.
   */
  standardise?: boolean;
  outputName?: string;
  graphName?: string;
}

const COMPANION_PREFIX = 'companion/';
const STANDARDISED_STD = 0.5;
// A variance floor, so a flat image (every pixel equal) maps to zeros rather than dividing by zero.
const STANDARDISE_MIN_VARIANCE = 1e-6;

type Model = ReturnType<typeof onnx.ModelProto.decode>;

function decodeSingleOutput(m: ConvertedModel, role: string): Model {
  const model = onnx.ModelProto.decode(m.onnx);
  if (m.outputs.length !== 1) throw new Error(`join: the ${role} model must have one output`);
  const opsets = model.opsetImport ?? [];
  if (opsets.some((o) => (o.domain ?? '') !== ''))
    throw new Error(`join: the ${role} model uses operators outside the default ONNX domain`);
  for (const n of model.graph?.node ?? [])
    for (const a of n.attribute ?? [])
      if (a.g || a.graphs?.length)
        throw new Error(`join: the ${role} model has a subgraph (${n.opType}); not supported`);
  return model;
}

function checkRange(r: PixelRange, role: string): void {
  const ok = (v: readonly number[]) => v.length === 3 && v.every(Number.isFinite);
  if (!ok(r.mean) || !ok(r.std) || r.std.some((s) => s === 0))
    throw new Error(`join: the ${role} pixel range needs 3 means and 3 non-zero stds`);
}

/** Every node, tensor and initializer name of `graph`, renamed through `rename`. */
function namesOf(graph: GraphProto, rename: (n: string) => string): Set<string> {
  const names = new Set<string>();
  for (const n of graph.node ?? [])
    for (const t of [n.name ?? '', ...(n.input ?? []), ...(n.output ?? [])]) if (t) names.add(rename(t));
  for (const t of graph.initializer ?? []) names.add(rename(t.name ?? ''));
  return names;
}

/** Every tensor and node name of `nodes` renamed through `rename` (empty optional inputs stay empty). */
function renamedNodes(nodes: NodeProto[], rename: (n: string) => string): NodeProto[] {
  return nodes.map((n) => ({
    ...n,
    name: n.name ? rename(n.name) : n.name,
    input: (n.input ?? []).map((t) => (t === '' ? t : rename(t))),
    output: (n.output ?? []).map((t) => rename(t)),
  }));
}

/** Joins `main` and `companion` (each: one input, one unit-length embedding output) into one model. */
export function joinModels(
  main: ConvertedModel,
  companion: ConvertedModel,
  opts: JoinOptions,
): ConvertedModel {
  if (!(Number.isFinite(opts.weight) && opts.weight > 0))
    throw new Error(`join: companion weight ${opts.weight} must be positive`);
  checkRange(opts.mainRange, 'main');
  checkRange(opts.companionRange, 'companion');
  const [, mainH, mainW] = main.inputShape;
  const [channels, h, w] = companion.inputShape;
  if (channels !== main.inputShape[0])
    throw new Error(`join: the companion takes ${channels} channels, the main model ${main.inputShape[0]}`);
  const a = decodeSingleOutput(main, 'main');
  const b = decodeSingleOutput(companion, 'companion');
  const ga = a.graph!;
  const gb = b.graph!;
  const outName = opts.outputName ?? 'embedding';

  // Main keeps its names except its output, which the joined head now produces.
  const mainOut = main.outputs[0].name;
  const mainPart = `main/${mainOut}`;
  const renameMain = (n: string) => (n === mainOut ? mainPart : n);
  const renameCompanion = (n: string) => `${COMPANION_PREFIX}${n}`;
  const mainNames = namesOf(ga, renameMain);
  mainNames.add(main.inputName);
  const companionNames = namesOf(gb, renameCompanion);
  for (const r of companionNames) if (mainNames.has(r)) throw new Error(`join: name ${r} is in both models`);
  // The glue's own names must avoid both graphs' (OnnxGraph.fresh suffixes a reserved name).
  const glue = new OnnxGraph();
  for (const t of [...mainNames, ...companionNames]) glue.fresh(t);

  // The companion's input: main's input mapped to its range, resized to its side, maybe standardised.
  let x = main.inputName;
  const scale = opts.mainRange.std.map((s, i) => s / opts.companionRange.std[i]);
  const shift = opts.mainRange.mean.map(
    (m, i) => (m - opts.companionRange.mean[i]) / opts.companionRange.std[i],
  );
  if (scale.some((s) => s !== 1))
    x = glue.node(
      'Mul',
      [x, glue.initializer('companion_input_scale', 'float32', [1, 3, 1, 1], scale)],
      'companion_input_scaled',
    );
  if (shift.some((s) => s !== 0))
    x = glue.node(
      'Add',
      [x, glue.initializer('companion_input_shift', 'float32', [1, 3, 1, 1], shift)],
      'companion_input_shifted',
    );
  if (h !== mainH || w !== mainW) x = resizeNchw(glue, x, h, w, `companion_input_${h}x${w}`);
  if (opts.standardise) x = standardised(glue, x);

  const companionNodes = renamedNodes(gb.node ?? [], (t) =>
    t === companion.inputName ? x : renameCompanion(t),
  );
  const companionOut = renameCompanion(companion.outputs[0].name);
  // The head runs after the companion: its nodes are the glue graph's from here on.
  const inputNodes = glue.nodes.length;
  const weighted = glue.node(
    'Mul',
    [companionOut, glue.initializer('companion_weight', 'float32', [], [opts.weight])],
    'companion_weighted',
  );
  const joined = glue.node('Concat', [mainPart, weighted], 'joined', { axis: 1 });
  const output = glue.node('LpNormalization', [joined], outName, { axis: 1, p: 2 });
  if (output !== outName) throw new Error(`join: output name ${outName} is taken`);
  const dim = main.outputs[0].dim + companion.outputs[0].dim;

  const model: Parameters<typeof onnx.ModelProto.encode>[0] = {
    irVersion: Math.max(Number(a.irVersion ?? 0), Number(b.irVersion ?? 0)),
    opsetImport: [
      {
        domain: '',
        version: Math.max(
          ...[...(a.opsetImport ?? []), ...(b.opsetImport ?? [])].map((o) => Number(o.version ?? 0)),
        ),
      },
    ],
    producerName: 'lookalike',
    docString: `${a.docString ?? ''}; joined with ${b.docString ?? ''} at weight ${opts.weight}${opts.standardise ? ', its input standardised per image' : ''}`,
    graph: {
      name: opts.graphName ?? ga.name ?? 'embedding',
      node: [
        ...renamedNodes(ga.node ?? [], renameMain),
        ...glue.nodes.slice(0, inputNodes),
        ...companionNodes,
        ...glue.nodes.slice(inputNodes),
      ],
      initializer: [
        ...(ga.initializer ?? []),
        ...glue.initializers,
        ...(gb.initializer ?? []).map((t) => ({ ...t, name: renameCompanion(t.name ?? '') })),
      ],
      input: [valueInfo(main.inputName, ['N', ...main.inputShape])],
      output: [valueInfo(output, ['N', dim])],
    },
  };
  return {
    onnx: onnx.ModelProto.encode(model).finish(),
    inputName: main.inputName,
    inputShape: main.inputShape,
    // The main model's values come first, so its colour block keeps its place.
    outputs: [{ ...main.outputs[0], name: output, dim }],
  };
}

/** (x − mean) / sqrt(max(variance, ε)) · 0.5 over each image's channels and pixels, clipped to [−1, 1]. */
function standardised(graph: OnnxGraph, x: string): string {
  const axes = { axes: [1, 2, 3], keepdims: 1 };
  const mean = graph.node('ReduceMean', [x], 'companion_input_mean', axes);
  const centred = graph.node('Sub', [x, mean], 'companion_input_centred');
  const variance = graph.node(
    'ReduceMean',
    [graph.node('Mul', [centred, centred], 'companion_input_square')],
    'companion_input_variance',
    axes,
  );
  const floor = graph.initializer('companion_input_min_variance', 'float32', [], [STANDARDISE_MIN_VARIANCE]);
  const std = graph.node(
    'Sqrt',
    [graph.node('Max', [variance, floor], 'companion_input_floored')],
    'companion_input_std',
  );
  const unit = graph.node('Div', [centred, std], 'companion_input_unit');
  const scaled = graph.node(
    'Mul',
    [unit, graph.initializer('companion_input_target_std', 'float32', [], [STANDARDISED_STD])],
    'companion_input_standardised',
  );
  const lo = graph.initializer('companion_input_lo', 'float32', [], [-1]);
  const hi = graph.initializer('companion_input_hi', 'float32', [], [1]);
  return graph.node('Clip', [scaled, lo, hi], 'companion_input_clipped');
}
