/**
 * Retrieval quality of a candidate pipeline on the development sets (npm run dev-sets), through the
 * real builder and the real query path:
 *
 *   npx tsx bench/devSetQuality.ts [--model <spec.json>] [--label <name>] [--sets emoji,photos,textures]
 *       [--subset N] [--json out.json] [--settings '{"dims":128}'] [--no-baselines] [--answers out.json]
 *
 * For each set and split: buildIndex over the gallery folder (dataDir generated/devsets/builds/<label>/…,
 * the builder's embedding cache reused), openDataDir, then every query exactly as `npm run query` does
 * (queryByImage for files, queryById for gallery items) with one onnxruntime session. Baselines on the
 * same galleries and queries: an exact cosine scan of the raw model embeddings (no transform, no int8)
 * and the 8×8×8 colour histogram (bench/colourHistogram.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { featurize } from '../core/featurize';
import { buildIndex, modelCacheFile, type BuildIndexOptions } from '../index-builder/buildIndex';
import { contentHash, hash16 } from '../index-builder/contentAddress';
import { itemIdFor } from '../index-builder/itemId';
import { decodeImage } from '../index-builder/decodeImage';
import { EmbeddingCache } from '../index-builder/embeddingCache';
import { FolderSource } from '../index-builder/folderSource';
import { openDataDir } from '../index-builder/openDataDir';
import { loadModel, type LoadedModel } from '../index-builder/loadModel';
import { createOnnxModelRunner, type OnnxModelRunner } from '../index-builder/onnxModelRunner';
import { silentProgress } from '../index-builder/progressReporter';
import { queryById, queryByImage, type QueryOutcome } from '../index-builder/queryDataDir';
import { decodeRgba } from '../models/research/emojiDataset';
import { matmulSession } from '../models/research/retrievalRecall';
import { colourHistogram } from './colourHistogram';
import {
  DEV_SETS_DIR,
  DEV_SET_NAMES,
  readDevSetManifest,
  type DevSetName,
  type DevSetQuery,
  type DevSetSplit,
} from './devSetManifest';
import {
  sampleQueries,
  scoreQueries,
  topK,
  type Metrics,
  type RankedQuery,
  type SetScores,
} from './devSetMetrics';

/** Results per query: recall@10 needs 10. */
const K = 10;

export interface Pipeline {
  label: string;
  /** Model spec file; the default model (MobileNetV2) when absent. */
  modelSpecPath?: string;
  /** Passed verbatim to buildIndex (dims, bits, layout, or whatever options the builder takes). */
  settings?: Partial<BuildIndexOptions>;
}

export interface EvaluateOptions {
  /** The dev-sets folder; default generated/devsets. */
  root?: string;
  /** Sample about this many queries per set (spread over its groups); default all. */
  subset?: number;
  /**
   * The exact float scan and colour histogram rows; default true (both). `{ float, histogram }` picks
   * them separately: the histogram does not depend on the model, so a second pipeline on the same sets
   * needs it only once, and the float scan only once per model.
   */
  baselines?: boolean | { float?: boolean; histogram?: boolean };
  log?: (m: string) => void;
  /** Keep the pipeline's per-query outcomes in SetResult.answers (for paired comparisons of two runs). */
  keepAnswers?: boolean;
}

/** One pipeline query's outcome: `q` names it (split and file or gallery key), stable across runs. */
interface QueryAnswer {
  q: string;
  group: string;
  label: string;
  hitAt1: number;
  recallAt10: number;
  precisionAt4: number;
}

export type MethodKind = 'pipeline' | 'float' | 'histogram';

export interface MethodResult {
  method: string;
  /** Which row this is (results written before it was recorded: pipeline, float, histogram in that order). */
  kind?: MethodKind;
  /** Bytes per gallery image of what is searched (index row, float vector, histogram). */
  bytesPerImage: number;
  scores: SetScores;
  ms: number;
}

export interface SetResult {
  set: DevSetName;
  description: string;
  galleryImages: Record<string, number>;
  queries: number;
  /** The pipeline first, then the baselines. */
  methods: MethodResult[];
  /** Wall time of buildIndex over every split's gallery. */
  buildMs: number;
  /** What those builds did, summed over the splits (absent in results written before it was recorded). */
  build?: BuildWork;
  /** The pipeline's per-query outcomes, with EvaluateOptions.keepAnswers. */
  answers?: QueryAnswer[];
}

interface BuildWork {
  /** Images run through the model (the rest came from the embedding cache). */
  featurized: number;
  cached: number;
  /** Edited copies the transform learned from (0: a plain whitened PCA). */
  views: number;
  /** Images whose label (settings.labelPattern) another image shares; absent without a pattern. */
  labelled?: number;
  /** Cross-source pairs the transform learned from (settings.sourcePattern); absent without a pattern. */
  sourcePairs?: number;
  /** buildIndex's own timings: decode + featurize (views included), and fitting + writing the index. */
  processMs: number;
  assembleMs: number;
}

export interface DevSetReport {
  pipeline: { label: string; modelSpecPath?: string; modelId: string; settings: Record<string, unknown> };
  subset?: number;
  createdAt: string;
  sets: SetResult[];
  totalMs: number;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

// ---------------------------------------------------------------- embedding files, read-only

/**
 * The builder's embedding cache for a model, read without ever writing to it (EmbeddingCache.read):
 * content-hash prefix (32 hex) → embedding.
 */
export function readBuilderCache(
  model: LoadedModel,
  modelBytes: Uint8Array,
  cacheDir?: string,
): Promise<ReadonlyMap<string, Float32Array>> {
  const { spec } = model;
  return EmbeddingCache.read(
    modelCacheFile(cacheDir, spec, contentHash(modelBytes)),
    spec.id,
    spec.output.dim,
  );
}

/** Vectors of files computed once and kept by content hash in generated/devsets/cache/<name>.embeddings. */
async function cachedVectors(
  root: string,
  name: string,
  dim: number,
  files: string[],
  compute: (files: string[]) => Promise<Float32Array[]>,
): Promise<Float32Array[]> {
  const cache = await EmbeddingCache.open(
    path.join(root, 'cache', `${safeName(name)}.embeddings`),
    name,
    dim,
  );
  const hashes = await Promise.all(files.map(async (f) => contentHash(await readFile(f))));
  const missing = files.map((_, i) => i).filter((i) => cache.get(hashes[i]) === undefined);
  const BATCH = 16;
  for (let b = 0; b < missing.length; b += BATCH) {
    const idx = missing.slice(b, b + BATCH);
    const vs = await compute(idx.map((i) => files[i]));
    idx.forEach((i, j) => cache.set(hashes[i], vs[j]));
    if (b % (BATCH * 32) === 0) await cache.flush();
  }
  await cache.flush();
  return hashes.map((h) => cache.get(h)!);
}

// ---------------------------------------------------------------- exact scan

/**
 * Top-k gallery rows of every query by dot product (cosine of unit rows), exact; `exclude[q]` (a
 * gallery row, or -1) is left out, as searchByRow leaves out the query item.
 */
async function exactScan(
  queries: Float32Array[],
  gallery: Float32Array[],
  k: number,
  exclude: number[] = [],
): Promise<number[][]> {
  const session = await matmulSession();
  const dim = gallery[0].length;
  const g = gallery.length;
  const transposed = new Float32Array(dim * g);
  for (let i = 0; i < g; i++) for (let j = 0; j < dim; j++) transposed[j * g + i] = gallery[i][j];
  const b = new ort.Tensor('float32', transposed, [dim, g]);
  const out: number[][] = [];
  const chunk = 128;
  for (let q0 = 0; q0 < queries.length; q0 += chunk) {
    const q1 = Math.min(queries.length, q0 + chunk);
    const flat = new Float32Array((q1 - q0) * dim);
    for (let q = q0; q < q1; q++) flat.set(queries[q], (q - q0) * dim);
    const scores = (await session.run({ a: new ort.Tensor('float32', flat, [q1 - q0, dim]), b })).scores
      .data as Float32Array;
    for (let q = q0; q < q1; q++)
      out.push(topK(scores.subarray((q - q0) * g, (q - q0 + 1) * g), k, exclude[q] ?? -1));
  }
  return out;
}

// ---------------------------------------------------------------- one split

interface SplitRun {
  split: DevSetSplit;
  queries: DevSetQuery[];
}

interface SplitAnswers {
  split: string;
  queries: DevSetQuery[];
  pipeline: RankedQuery[];
  float: RankedQuery[];
  histogram: RankedQuery[];
  galleryImages: number;
  indexBytesPerImage: number;
  buildMs: number;
  build: BuildWork;
  queryMs: number;
  floatMs: number;
  histogramMs: number;
}

async function runSplit(
  set: DevSetName,
  run: SplitRun,
  ctx: {
    root: string;
    pipeline: Pipeline;
    model: LoadedModel;
    modelBytes: Uint8Array;
    runner: () => Promise<OnnxModelRunner>;
    baselines: { float: boolean; histogram: boolean };
    log: (m: string) => void;
  },
): Promise<SplitAnswers> {
  const { split, queries } = run;
  const { root, pipeline, model, log } = ctx;
  const galleryDir = path.join(root, split.gallery);
  const dataDir = path.join(
    root,
    'builds',
    safeName(pipeline.label),
    split.name === set ? set : `${set}-${split.name}`,
  );
  const t0 = performance.now();
  const { report } = await buildIndex({
    force: true,
    // A transform kept from an earlier run of this pipeline would leave its fit out of the build time
    // and its counts (source pairs) out of the report.
    refit: true,
    progress: silentProgress,
    ...pipeline.settings,
    source: new FolderSource(galleryDir),
    dataDir,
    model,
  } as BuildIndexOptions);
  const buildMs = performance.now() - t0;
  log(
    `  ${set}/${split.name}: built ${report.counts.indexed} images in ${(buildMs / 1000).toFixed(1)} s ` +
      `(${report.counts.featurized} featurized, ${report.counts.skipped} skipped)`,
  );

  // Query exactly as npm run query does: core's Collection of either layout over the dir's files.
  const { collection, model: builtModel } = await openDataDir(dataDir);
  const label = (r: { album: string; name: string }) => split.labels[`${r.album}/${r.name}`];
  const t1 = performance.now();
  const pipelineAnswers: RankedQuery[] = [];
  for (const q of queries) {
    let o: QueryOutcome;
    if (q.file !== undefined) {
      const file = path.join(root, q.file);
      const runner = await ctx.runner();
      o = await queryByImage(collection, { spec: builtModel.spec, runner }, file, K);
    } else {
      const id = itemIdFor(q.key!);
      o = await queryById(collection, id, K);
    }
    pipelineAnswers.push(
      'error' in o
        ? { group: q.group, facet: q.facet, label: q.label, ranked: [], error: o.error }
        : { group: q.group, facet: q.facet, label: q.label, ranked: o.results.map(label) },
    );
    if (pipelineAnswers.length % 500 === 0) log(`    ${pipelineAnswers.length}/${queries.length} queries`);
  }
  const queryMs = performance.now() - t1;
  const failed = pipelineAnswers.filter((a) => a.error);
  if (failed.length > 0) log(`    ${failed.length} queries failed, e.g. ${failed[0].error}`);

  const answers: SplitAnswers = {
    split: split.name,
    queries,
    pipeline: pipelineAnswers,
    float: [],
    histogram: [],
    galleryImages: report.counts.indexed,
    indexBytesPerImage: report.bytes.indexPerImage,
    buildMs,
    build: {
      featurized: report.counts.featurized,
      cached: report.counts.cached,
      // Absent in a builder older than learning from views.
      views: report.counts.views ?? 0,
      ...(report.counts.labelled !== undefined ? { labelled: report.counts.labelled } : {}),
      ...(report.counts.sourcePairs !== undefined ? { sourcePairs: report.counts.sourcePairs } : {}),
      processMs: report.timings.processMs,
      assembleMs: report.timings.assembleMs,
    },
    queryMs,
    floatMs: 0,
    histogramMs: 0,
  };
  if (!ctx.baselines.float && !ctx.baselines.histogram) return answers;

  // The gallery as the build saw it (skipped files left out), in the catalog's key order.
  const listing = await new FolderSource(galleryDir).list();
  const skipped = new Set(report.skipped.map((s) => s.key));
  const galleryEntries = listing.entries.filter((e) => !skipped.has(e.key));
  const galleryFiles = galleryEntries.map((e) => path.join(galleryDir, e.location));
  const galleryLabels = galleryEntries.map((e) => split.labels[e.key]);
  const rowOfKey = new Map(galleryEntries.map((e, i) => [e.key, i]));
  const exclude = queries.map((q) => (q.key !== undefined ? (rowOfKey.get(q.key) ?? -1) : -1));

  const scan = async (galleryVectors: Float32Array[], queryVectors: Float32Array[]) =>
    (await exactScan(queryVectors, galleryVectors, K, exclude)).map((rows, i) => ({
      group: queries[i].group,
      facet: queries[i].facet,
      label: queries[i].label,
      ranked: rows.map((r) => galleryLabels[r]),
    }));
  const queryFile = (q: DevSetQuery) =>
    q.file !== undefined ? path.join(root, q.file) : path.join(galleryDir, q.key!);

  // Exact float scan of the raw embeddings: the gallery's from the builder's cache, the queries'
  // featurized as queryByImage does (decodeImage, featurize), cached by content hash.
  if (ctx.baselines.float) {
    const t2 = performance.now();
    const builderCache = await readBuilderCache(model, ctx.modelBytes, pipeline.settings?.cacheDir);
    const featurizeFiles = async (files: string[]) => {
      const runner = await ctx.runner();
      const images = await Promise.all(files.map(async (f) => (await decodeImage(await readFile(f))).image));
      return featurize(runner, model.spec, images);
    };
    const galleryHashes = await Promise.all(galleryFiles.map(async (f) => contentHash(await readFile(f))));
    const uncached = galleryFiles.filter(
      (_, i) => builderCache.get(galleryHashes[i].slice(0, 32)) === undefined,
    );
    const fromModel = uncached.length > 0 ? await featurizeFiles(uncached) : [];
    let next = 0;
    const galleryFloat = galleryHashes.map((h) => builderCache.get(h.slice(0, 32)) ?? fromModel[next++]);
    const queryFloat = await cachedVectors(
      root,
      `query-embeddings.${model.spec.id}.${hash16(contentHash(ctx.modelBytes))}`,
      model.spec.output.dim,
      queries.map(queryFile),
      featurizeFiles,
    );
    answers.float = await scan(galleryFloat, queryFloat);
    answers.floatMs = performance.now() - t2;
  }

  if (ctx.baselines.histogram) {
    const t3 = performance.now();
    const histograms = (files: string[]) =>
      cachedVectors(root, 'colour-histogram-8x8x8', 512, files, (fs) =>
        Promise.all(fs.map(async (f) => colourHistogram(await decodeRgba(f)))),
      );
    answers.histogram = await scan(await histograms(galleryFiles), await histograms(queries.map(queryFile)));
    answers.histogramMs = performance.now() - t3;
  }
  return answers;
}

// ---------------------------------------------------------------- a pipeline over the sets

export async function evaluatePipeline(
  pipeline: Pipeline,
  sets: readonly DevSetName[],
  opts: EvaluateOptions = {},
): Promise<DevSetReport> {
  const t0 = performance.now();
  const root = opts.root ?? DEV_SETS_DIR;
  const log = opts.log ?? ((m: string) => console.log(m));
  const baselines =
    typeof opts.baselines === 'object'
      ? { float: opts.baselines.float ?? false, histogram: opts.baselines.histogram ?? false }
      : { float: opts.baselines ?? true, histogram: opts.baselines ?? true };
  const model = await loadModel(pipeline.modelSpecPath);
  const modelBytes = new Uint8Array(await readFile(model.onnxPath));
  let runner: Promise<OnnxModelRunner> | undefined;
  const getRunner = () => (runner ??= createOnnxModelRunner(model.onnxPath, model.spec));
  const results: SetResult[] = [];
  try {
    for (const set of sets) {
      const manifest = readDevSetManifest(root, set);
      const all = manifest.splits.flatMap((split) =>
        split.queries.map((query) => ({ split: split.name, query })),
      );
      const chosen = new Set(sampleQueries(all, opts.subset).map((x) => x.query));
      log(`${set}: ${chosen.size} of ${all.length} queries, ${manifest.splits.length} split(s)`);
      const answers: SplitAnswers[] = [];
      for (const split of manifest.splits) {
        const queries = split.queries.filter((q) => chosen.has(q));
        if (queries.length === 0) continue;
        answers.push(
          await runSplit(
            set,
            { split, queries },
            { root, pipeline, model, modelBytes, runner: getRunner, baselines, log },
          ),
        );
      }
      // The emoji splits and sources count alike, however many queries each holds.
      const meanOfGroups = set === 'emoji' || set === 'emoji-sources';
      const sum = (f: (a: SplitAnswers) => number) => answers.reduce((s, a) => s + f(a), 0);
      const pipelineAnswers = (): QueryAnswer[] =>
        answers.flatMap((a) =>
          a.pipeline.map((r, j) => {
            const q = a.queries[j];
            const m = scoreQueries([r]).overall;
            return {
              q: `${a.split}:${q.file ?? q.key}`,
              group: r.group,
              label: r.label,
              hitAt1: m.hitAt1,
              recallAt10: m.recallAt10,
              precisionAt4: m.precisionAt4,
            };
          }),
        );
      const methods: MethodResult[] = [
        {
          method: pipeline.label,
          kind: 'pipeline',
          bytesPerImage: sum((a) => a.indexBytesPerImage) / answers.length,
          scores: scoreQueries(
            answers.flatMap((a) => a.pipeline),
            meanOfGroups,
          ),
          ms: sum((a) => a.queryMs),
        },
      ];
      if (baselines.float) {
        methods.push({
          method: `${model.spec.id}, float32 exact scan`,
          kind: 'float',
          bytesPerImage: 4 * model.spec.output.dim,
          scores: scoreQueries(
            answers.flatMap((a) => a.float),
            meanOfGroups,
          ),
          ms: sum((a) => a.floatMs),
        });
      }
      if (baselines.histogram) {
        methods.push({
          method: 'colour histogram 8×8×8',
          kind: 'histogram',
          bytesPerImage: 4 * 512,
          scores: scoreQueries(
            answers.flatMap((a) => a.histogram),
            meanOfGroups,
          ),
          ms: sum((a) => a.histogramMs),
        });
      }
      results.push({
        set,
        description: manifest.description,
        galleryImages: Object.fromEntries(
          manifest.splits.map((s, i) => [s.name, answers[i]?.galleryImages ?? 0]),
        ),
        queries: chosen.size,
        methods,
        buildMs: sum((a) => a.buildMs),
        build: {
          featurized: sum((a) => a.build.featurized),
          cached: sum((a) => a.build.cached),
          views: sum((a) => a.build.views),
          ...(answers.some((a) => a.build.labelled !== undefined)
            ? { labelled: sum((a) => a.build.labelled ?? 0) }
            : {}),
          ...(answers.some((a) => a.build.sourcePairs !== undefined)
            ? { sourcePairs: sum((a) => a.build.sourcePairs ?? 0) }
            : {}),
          processMs: sum((a) => a.build.processMs),
          assembleMs: sum((a) => a.build.assembleMs),
        },
        ...(opts.keepAnswers ? { answers: pipelineAnswers() } : {}),
      });
      log(formatSet(results[results.length - 1]));
    }
  } finally {
    if (runner) await (await runner).release();
  }
  return {
    pipeline: {
      label: pipeline.label,
      modelSpecPath: pipeline.modelSpecPath,
      modelId: model.spec.id,
      settings: { ...(pipeline.settings ?? {}) },
    },
    subset: opts.subset,
    createdAt: new Date().toISOString(),
    sets: results,
    totalMs: performance.now() - t0,
  };
}

// ---------------------------------------------------------------- report

/** What a method row is; results written before `kind` was recorded had pipeline, float, histogram. */
export function methodKind(m: MethodResult, index: number): MethodKind {
  return m.kind ?? (['pipeline', 'float', 'histogram'] as const)[Math.min(index, 2)];
}

/**
 * A report row. Indented names break the row above them down by group; `facet` rows break it down by
 * facet instead, pooled over the groups.
 */
interface MetricRow {
  name: string;
  value: (s: SetScores) => number;
  facet?: boolean;
}

/** The metric rows each set reports, with the group breakdown that matters for it. */
export function metricRows(r: SetResult): MetricRow[] {
  const groups = Object.keys(r.methods[0].scores.byGroup);
  const facets = Object.keys(r.methods[0].scores.byFacet ?? {});
  if (r.set === 'textures') return [{ name: 'P@4', value: (s) => s.overall.precisionAt4 }];
  if (r.set === 'emoji' || r.set === 'emoji-facebook' || r.set === 'emoji-sources') {
    const breakdown = (metric: (m: Metrics) => number): MetricRow[] => [
      ...groups.map((g) => ({ name: `  ${g}`, value: (s: SetScores) => metric(s.byGroup[g]) })),
      ...facets.map((f) => ({ name: `  ${f}`, value: (s: SetScores) => metric(s.byFacet![f]), facet: true })),
    ];
    return [
      { name: 'recall@10 mean', value: (s) => s.overall.recallAt10 },
      ...breakdown((m) => m.recallAt10),
      { name: 'hit@1 mean', value: (s) => s.overall.hitAt1 },
      ...breakdown((m) => m.hitAt1),
    ];
  }
  return [
    { name: 'hit@1 all', value: (s) => s.overall.hitAt1 },
    ...groups.map((g) => ({ name: `  ${g}`, value: (s: SetScores) => s.byGroup[g].hitAt1 })),
    { name: 'recall@10 all', value: (s) => s.overall.recallAt10 },
  ];
}

function formatSet(r: SetResult): string {
  const short = { pipeline: '', float: 'float scan', histogram: 'colour hist' };
  const heads = r.methods.map((m, i) => short[methodKind(m, i)] || m.method);
  const widths = heads.map((h) => Math.max(16, h.length + 2));
  const cells = (values: string[]) => values.map((v, i) => v.padStart(widths[i])).join('');
  const lines = [
    `${r.set}: ${r.queries} queries, gallery ${Object.values(r.galleryImages).join('/')} images, build ${(r.buildMs / 1000).toFixed(1)} s` +
      (r.build ? ` (${r.build.featurized} featurized, ${r.build.views} views learned)` : ''),
    `  ${''.padEnd(16)}${cells(heads)}`,
  ];
  for (const row of metricRows(r))
    lines.push(`  ${row.name.padEnd(16)}${cells(r.methods.map((m) => row.value(m.scores).toFixed(3)))}`);
  lines.push(`  ${'query time s'.padEnd(16)}${cells(r.methods.map((m) => (m.ms / 1000).toFixed(1)))}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- CLI

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  if (i + 1 >= args.length) throw new Error(`${name} needs a value`);
  return args[i + 1];
}

const USAGE = `usage: npx tsx bench/devSetQuality.ts [--model <spec.json>] [--label <name>]
    [--sets emoji,photos,textures] [--subset N] [--json out.json] [--settings '<BuildIndexOptions JSON>']
    [--no-baselines] [--answers per-query.json]
Builds each dev set's gallery with buildIndex (generated/devsets/builds/<label>/), queries it like
npm run query and prints hit@1 / recall@10 / P@4 next to the float-scan and colour-histogram baselines.
Make the sets first with npm run dev-sets.`;

async function main(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const modelSpecPath = argValue(args, '--model');
  const setsArg = argValue(args, '--sets');
  const sets = (setsArg ?? DEV_SET_NAMES.join(',')).split(',') as DevSetName[];
  for (const s of sets) if (!DEV_SET_NAMES.includes(s)) throw new Error(`unknown set ${s}`);
  const subsetArg = argValue(args, '--subset');
  const subset = subsetArg === undefined ? undefined : Number(subsetArg);
  if (subset !== undefined && !(Number.isInteger(subset) && subset > 0))
    throw new Error('--subset must be a positive integer');
  const settingsArg = argValue(args, '--settings');
  const settings =
    settingsArg === undefined ? undefined : (JSON.parse(settingsArg) as Partial<BuildIndexOptions>);
  const label =
    argValue(args, '--label') ??
    [
      modelSpecPath ? path.basename(modelSpecPath, '.json') : 'default',
      ...(settingsArg ? [settingsArg.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '')] : []),
    ].join('_');
  const jsonOut = argValue(args, '--json');
  const answersOut = argValue(args, '--answers');
  const started = performance.now();
  const log = (m: string) => console.log(m);
  const report = await evaluatePipeline({ label, modelSpecPath, settings }, sets, {
    subset,
    baselines: !args.includes('--no-baselines'),
    log,
    keepAnswers: answersOut !== undefined,
  });
  if (answersOut !== undefined) {
    mkdirSync(path.dirname(path.resolve(answersOut)), { recursive: true });
    const perSet = Object.fromEntries(report.sets.map((r) => [r.set, r.answers ?? []]));
    writeFileSync(answersOut, `${JSON.stringify({ label, sets: perSet })}\n`);
    for (const r of report.sets) delete r.answers;
    log(`wrote ${answersOut}`);
  }
  log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (jsonOut !== undefined) {
    mkdirSync(path.dirname(path.resolve(jsonOut)), { recursive: true });
    writeFileSync(jsonOut, `${JSON.stringify(report, null, 1)}\n`);
    log(`wrote ${jsonOut}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`devSetQuality: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}
