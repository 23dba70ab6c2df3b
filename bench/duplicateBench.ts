import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { featurize } from '../core/featurize';
import {
  DUPLICATE_STRICTNESS,
  type DuplicateStrictness,
  type ThresholdSource,
} from '../core/duplicatesFormat';
import { MAX_GROUPS_PER_PAGE } from '../core/duplicatesReader';
import type { ImageRegion } from '../core/imageRegion';
import { mulberry32 } from '../core/prng';
import { buildIndex } from '../index-builder/buildIndex';
import { contentHash } from '../index-builder/contentAddress';
import { MIN_CALIBRATED_IMAGES } from '../index-builder/similarityCalibration';
import { FolderSource } from '../index-builder/folderSource';
import { loadDataDir, type LoadedDataDir } from '../testing/loadDataDir';
import { findDuplicateGroups } from '../index-builder/duplicateDetection';
import { loadModel } from '../index-builder/loadModel';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { silentProgress } from '../index-builder/progressReporter';
import { queryByImage } from '../index-builder/queryDataDir';
import { readQueryImage } from '../index-builder/queryImage';
import { openDuplicates } from '../index-builder/readDuplicates';
import { ensureDefaultModel } from '../models/ensureModel';
import { colourHistogram } from './colourHistogram';
import { DEV_SETS_DIR, manifestPath } from './devSetManifest';
import { readBuilderCache } from './devSetQuality';
import { DEMO_DATA_DIR } from './demoDataDir';
import { REPO_ROOT } from '../testing/repoRoot';
import { writeDuplicateCollection, type Original } from './duplicateCopies';
import {
  bestF1,
  pairQuality,
  sweepThresholds,
  truePairCount,
  unitVector,
  type PairQuality,
} from './pairMetrics';

/*
 * Near-duplicate quality (issue 14, item 4): the originals plus seeded edited copies of each
 * (bench/duplicateCopies.ts) built into one collection with the real builder (default settings,
 * embedding cache reused), its duplicate groups read per strictness with the reader `npm run
 * duplicates` uses, and scored as pair precision / recall. Side by side, with no calibration of their
 * own: the colour histogram and an exact scan of the model's raw float embeddings, grouped by the same
 * complete link at their best-F1 threshold over a sweep (an oracle), next to the pipeline's best F1
 * over the same sweep on its own int8 scores. Then region search: crops of 30–60 % of each original,
 * queried as `npm run query --region` does, hit@1 = the top result derives from that original.
 */

export const COPIES_PER_ORIGINAL = 3;
export const CROPS_PER_ORIGINAL = 2;
const REGION_AREA = { min: 0.3, max: 0.6 };
const SWEEP = { from: 0.2, to: 0.999, step: 0.001 };
const COPY_SEED = 14_000;
/** The calibrated emoji collection: demo emoji, a few with copies among many without. */
const EMOJI_ORIGINALS = 1200;
const EMOJI_COPIED = 200;
const EMOJI_COPIES = 2;
const DEMO_IMAGES_DIR = path.join(REPO_ROOT, 'generated', 'demo-images');
const REGION_SEED = 41_000;

type MethodKind = 'pipeline' | 'float' | 'histogram';

export interface DuplicateBenchResult {
  /** 'photos': the photos dev set; 'tiny': the quick run's few emoji. */
  data: 'photos' | 'tiny';
  description: string;
  modelId: string;
  originals: number;
  copiesPerOriginal: number;
  /** Images indexed (originals + copies) and the true pairs among them. */
  images: number;
  truePairs: number;
  /** Copies that got each edit kind (1–3 per copy). */
  editCounts: Record<string, number>;
  buildMs: number;
  featurized: number;
  /** Where the builder's thresholds came from; builds under minCalibratedImages use its defaults. */
  thresholdSource: ThresholdSource;
  minCalibratedImages: number;
  /** The groups the build wrote, per strictness. */
  strictness: ({ strictness: DuplicateStrictness; threshold: number } & PairQuality & GroupDiagnostics)[];
  /** Pairs of originals that are variants of one scene (light/dark wallpapers): none should group. */
  variantPairs: number;
  /** Best F1 over the same thresholds for each method (an oracle: the threshold is picked with the labels). */
  sweep: {
    from: number;
    to: number;
    step: number;
    rows: {
      method: string;
      kind: MethodKind;
      best: PairQuality & { threshold: number } & Pick<GroupDiagnostics, 'variantPairsGrouped'>;
    }[];
  };
  /**
   * Collections large enough for a calibration, grouped at the build's own thresholds (full mode;
   * absent in older results files).
   */
  calibrated?: CalibratedGroupsResult[];
  region: {
    cropsPerOriginal: number;
    minArea: number;
    maxArea: number;
    queries: number;
    rows: { method: string; kind: MethodKind; hitAt1: number }[];
  };
}

/** One calibrated collection's groups per strictness, at the thresholds its build measured. */
export interface CalibratedGroupsResult {
  name: string;
  description: string;
  images: number;
  /** Pairs of images derived from one original (0: a collection with no planted copies). */
  truePairs: number;
  buildMs: number | null;
  strictness: ({ strictness: DuplicateStrictness; threshold: number } & PairQuality)[];
  /**
   * The same rows grouped at the thresholds the edited copies alone give (the calibration before it
   * bounded the two closest labels per image), for comparison in the same run.
   */
  editsAlone?: ({ strictness: DuplicateStrictness; threshold: number } & PairQuality)[];
}

interface GroupDiagnostics {
  /** Predicted pairs joining two originals that are variants of one scene (always wrong). */
  variantPairsGrouped: number;
  /** Per edit kind: the share of copies with that edit grouped with their original. */
  copyRecallByEdit: Record<string, number>;
}

/** The scene of an original: light and dark variants (-l/-d, -dark) share it. */
export function sceneOf(label: string): string {
  return label.replace(/-(l|d|dark)$/, '');
}

/** Pairs of distinct originals (by label) of one scene. */
function variantPairCount(originalLabels: readonly string[]): number {
  const byScene = new Map<string, number>();
  for (const l of originalLabels) byScene.set(sceneOf(l), (byScene.get(sceneOf(l)) ?? 0) + 1);
  return [...byScene.values()].reduce((n, k) => n + (k * (k - 1)) / 2, 0);
}

/**
 * What the groups got wrong and right, in terms a person cleaning a library cares about: variants of
 * a scene put together, and which edits keep a copy away from its original.
 */
function diagnose(
  groups: readonly (readonly number[])[],
  labels: readonly string[],
  originalRow: ReadonlyMap<string, number>,
  copyKinds: ReadonlyMap<number, readonly string[]>,
): GroupDiagnostics {
  const groupOf = new Map<number, number>();
  groups.forEach((g, gi) => g.forEach((i) => groupOf.set(i, gi)));
  let variantPairsGrouped = 0;
  for (const g of groups) {
    for (let i = 0; i < g.length; i++)
      for (let j = i + 1; j < g.length; j++) {
        const a = labels[g[i]];
        const b = labels[g[j]];
        if (a !== b && sceneOf(a) === sceneOf(b)) variantPairsGrouped++;
      }
  }
  const total: Record<string, number> = {};
  const found: Record<string, number> = {};
  for (const [r, kinds] of copyKinds) {
    const g = groupOf.get(r);
    const withOriginal = g !== undefined && g === groupOf.get(originalRow.get(labels[r])!);
    for (const k of kinds) {
      total[k] = (total[k] ?? 0) + 1;
      found[k] = (found[k] ?? 0) + (withOriginal ? 1 : 0);
    }
  }
  const copyRecallByEdit = Object.fromEntries(Object.keys(total).map((k) => [k, found[k] / total[k]]));
  return { variantPairsGrouped, copyRecallByEdit };
}

/** A seeded box covering `min`–`max` of the image's area, aspect within 3:4–4:3 of the image's. */
export function randomRegion(next: () => number, min: number, max: number): ImageRegion {
  const u = () => next() / 2 ** 32;
  const area = min + (max - min) * u();
  const aspect = Math.exp(Math.log(0.75) + (Math.log(4 / 3) - Math.log(0.75)) * u());
  const w = Math.min(1, Math.sqrt(area * aspect));
  const h = Math.min(1, area / w);
  return { x: (1 - w) * u(), y: (1 - h) * u(), w, h };
}

/** The row of `gallery` (unit vectors) with the highest cosine to `q`. */
function top1(q: Float32Array, gallery: readonly Float32Array[]): number {
  const u = unitVector(q);
  let best = -1;
  let bestScore = -Infinity;
  gallery.forEach((g, i) => {
    let dot = 0;
    for (let d = 0; d < g.length; d++) dot += g[d] * u[d];
    if (dot > bestScore) {
      bestScore = dot;
      best = i;
    }
  });
  return best;
}

interface DuplicateBenchInput {
  data: DuplicateBenchResult['data'];
  description: string;
  originals: readonly Original[];
  /** Created, holds the collection and its build; the caller removes it. */
  workDir: string;
  /** The builder's embedding cache; default generated/cache/embeddings/<model>. */
  cacheDir?: string;
  /** Edited copies per original; default COPIES_PER_ORIGINAL. */
  copies?: number;
  log: (m: string) => void;
}

async function measureDuplicates(input: DuplicateBenchInput): Promise<DuplicateBenchResult> {
  const { log } = input;
  const copies = input.copies ?? COPIES_PER_ORIGINAL;
  const collection = await writeDuplicateCollection(
    input.originals,
    path.join(input.workDir, 'collection'),
    copies,
    COPY_SEED,
  );
  log(`${input.originals.length} originals + ${copies} edited copies each`);
  const model = await loadModel((await ensureDefaultModel({ quiet: true })).specPath);
  const dataDir = path.join(input.workDir, 'data');
  const t0 = performance.now();
  const { report } = await buildIndex({
    source: new FolderSource(collection.dir),
    dataDir,
    model,
    cacheDir: input.cacheDir,
    force: true,
    progress: silentProgress,
  });
  const buildMs = performance.now() - t0;
  log(
    `built ${report.counts.indexed} images in ${(buildMs / 1000).toFixed(1)} s (${report.counts.featurized} featurized)`,
  );

  const data = await loadDataDir(dataDir);
  const items = data.catalog.items;
  const keyOf = (it: { album: string; name: string }) => `${it.album}/${it.name}`;
  const labelOfKey = (key: string) => {
    const l = collection.labels.get(key);
    if (l === undefined) throw new Error(`indexed item ${key} is not in the collection`);
    return l;
  };
  // Resident index rows are catalog positions (ResidentCollection reads catalog.items[row] the same way).
  const labels = items.map((it) => labelOfKey(keyOf(it)));
  const row = new Map(items.map((it, i) => [it.id, i]));
  const originalRow = new Map<string, number>();
  const copyKinds = new Map<number, readonly string[]>();
  items.forEach((it, i) => {
    const kinds = collection.copyEdits.get(keyOf(it));
    if (kinds === undefined) originalRow.set(labels[i], i);
    else copyKinds.set(i, kinds);
  });

  // The build's own groups, read as `npm run duplicates` reads them.
  const { reader } = await openDuplicates(dataDir);
  const strictness: DuplicateBenchResult['strictness'] = [];
  for (const { strictness: s, threshold, groups } of await readGroups(dataDir, row)) {
    const q = pairQuality(labels, groups);
    strictness.push({ strictness: s, threshold, ...q, ...diagnose(groups, labels, originalRow, copyKinds) });
    log(
      `${s} (≥ ${threshold}, ${reader.file.thresholdSource}): ${q.groups} groups, precision ${q.precision?.toFixed(3) ?? '–'}, recall ${q.recall.toFixed(3)}`,
    );
  }

  // The three methods' vectors, in catalog order: the index's int8 rows (what the builder groups),
  // the model's raw float embeddings (from the builder's cache), colour histograms of the same files.
  const files = items.map((it) => path.join(collection.dir, it.album, it.name));
  const pipelineVectors = items.map((_, r) => unitVector(data.index.vector(r)));
  const modelBytes = new Uint8Array(await readFile(model.onnxPath));
  const cache = await readBuilderCache(model, modelBytes, input.cacheDir);
  const runner = await createOnnxModelRunner(model.onnxPath, model.spec);
  try {
    const floatVectors: Float32Array[] = [];
    const histograms: Float32Array[] = [];
    for (const f of files) {
      const bytes = await readFile(f);
      const image = await readQueryImage(f);
      const cached = cache.get(contentHash(bytes).slice(0, 32));
      floatVectors.push(unitVector(cached ?? (await featurize(runner, model.spec, [image]))[0]));
      histograms.push(colourHistogram(image));
    }
    const thresholds = sweepThresholds(SWEEP.from, SWEEP.to, SWEEP.step);
    const methods: { method: string; kind: MethodKind; vectors: Float32Array[] }[] = [
      { method: `Lookalike int8 index (${model.spec.id})`, kind: 'pipeline', vectors: pipelineVectors },
      { method: `${model.spec.id}, float32 exact scan`, kind: 'float', vectors: floatVectors },
      { method: 'colour histogram 8×8×8', kind: 'histogram', vectors: histograms },
    ];
    const sweepRows = methods.map((m) => {
      const { grouped, ...quality } = bestF1(labels, m.vectors, thresholds);
      const { variantPairsGrouped } = diagnose(grouped, labels, originalRow, copyKinds);
      const best = { ...quality, variantPairsGrouped };
      log(
        `${m.kind} best F1 ${best.f1.toFixed(3)} at ${best.threshold} (precision ${best.precision?.toFixed(3) ?? '–'}, recall ${best.recall.toFixed(3)})`,
      );
      return { method: m.method, kind: m.kind, best };
    });

    // Region search from each original's file, as `npm run query --region` searches.
    const hits = { pipeline: 0, float: 0, histogram: 0 };
    let queries = 0;
    for (const [i, o] of collection.originals.entries()) {
      const next = mulberry32(REGION_SEED + i);
      for (let c = 0; c < CROPS_PER_ORIGINAL; c++) {
        const region = randomRegion(next, REGION_AREA.min, REGION_AREA.max);
        const outcome = await queryByImage(data.collection, { spec: model.spec, runner }, o.file, 1, region);
        if ('error' in outcome) throw new Error(`region query of ${o.file}: ${outcome.error}`);
        const image = await readQueryImage(o.file, region);
        const [embedding] = await featurize(runner, model.spec, [image]);
        queries++;
        if (outcome.results[0] && labels[row.get(outcome.results[0].id)!] === o.label) hits.pipeline++;
        if (labels[top1(embedding, floatVectors)] === o.label) hits.float++;
        if (labels[top1(colourHistogram(image), histograms)] === o.label) hits.histogram++;
      }
    }
    const region: DuplicateBenchResult['region'] = {
      cropsPerOriginal: CROPS_PER_ORIGINAL,
      minArea: REGION_AREA.min,
      maxArea: REGION_AREA.max,
      queries,
      rows: methods.map((m) => ({ method: m.method, kind: m.kind, hitAt1: hits[m.kind] / queries })),
    };
    log(`region hit@1: ${region.rows.map((r) => `${r.kind} ${r.hitAt1.toFixed(3)}`).join(', ')}`);

    return {
      data: input.data,
      description: input.description,
      modelId: model.spec.id,
      originals: input.originals.length,
      copiesPerOriginal: copies,
      images: items.length,
      truePairs: truePairCount(labels),
      editCounts: collection.editCounts,
      buildMs,
      featurized: report.counts.featurized,
      variantPairs: variantPairCount([...originalRow.keys()]),
      thresholdSource: reader.file.thresholdSource,
      minCalibratedImages: MIN_CALIBRATED_IMAGES,
      strictness,
      sweep: { ...SWEEP, rows: sweepRows },
      region,
    };
  } finally {
    await runner.release();
  }
}

/** Each strictness's groups as `npm run duplicates` reads them, as rows of the catalog. */
async function readGroups(
  dataDir: string,
  rowOfId: ReadonlyMap<string, number>,
): Promise<{ strictness: DuplicateStrictness; threshold: number; groups: number[][] }[]> {
  const { reader } = await openDuplicates(dataDir);
  const out = [];
  for (const s of DUPLICATE_STRICTNESS) {
    const first = await reader.page(s, 0, MAX_GROUPS_PER_PAGE);
    const pages = [first];
    while (pages.length * MAX_GROUPS_PER_PAGE < first.totalGroups)
      pages.push(await reader.page(s, pages.length * MAX_GROUPS_PER_PAGE, MAX_GROUPS_PER_PAGE));
    const groups = pages.flatMap((p) => p.groups.map((g) => g.members.map((m) => rowOfId.get(m.item.id)!)));
    out.push({ strictness: s, threshold: first.threshold, groups });
  }
  return out;
}

/**
 * A collection of at least MIN_CALIBRATED_IMAGES built at default settings (the thresholds are then
 * the build's calibration, which the photos run above, under that size, never reaches): `copied`
 * originals with `copies` edited copies each, and `uncopied` ones alone.
 */
async function measureCalibratedGroups(o: {
  name: string;
  description: string;
  copied: readonly Original[];
  uncopied: readonly Original[];
  copies: number;
  workDir: string;
  log: (m: string) => void;
}): Promise<CalibratedGroupsResult> {
  const collection = await writeDuplicateCollection(
    o.copied,
    path.join(o.workDir, 'collection'),
    o.copies,
    COPY_SEED,
    o.uncopied,
  );
  const model = await loadModel((await ensureDefaultModel({ quiet: true })).specPath);
  const dataDir = path.join(o.workDir, 'data');
  const t0 = performance.now();
  await buildIndex({
    source: new FolderSource(collection.dir),
    dataDir,
    model,
    force: true,
    progress: silentProgress,
  });
  const buildMs = performance.now() - t0;
  const data = await loadDataDir(dataDir);
  const items = data.catalog.items;
  const labels = items.map((it) => {
    const l = collection.labels.get(`${it.album}/${it.name}`);
    if (l === undefined) throw new Error(`indexed item ${it.album}/${it.name} is not in the collection`);
    return l;
  });
  if (data.manifest.calibration === undefined)
    throw new Error(`${o.name}: ${items.length} images got no calibration (needs ${MIN_CALIBRATED_IMAGES})`);
  const strictness = (await readGroups(dataDir, new Map(items.map((it, i) => [it.id, i])))).map((x) => {
    const q = pairQuality(labels, x.groups);
    o.log(
      `${o.name} ${x.strictness} (≥ ${x.threshold}): ${q.groups} groups of ${q.groupedImages} images, precision ${q.precision?.toFixed(3) ?? '–'}, recall ${q.recall.toFixed(3)}`,
    );
    return { strictness: x.strictness, threshold: x.threshold, ...q };
  });
  return {
    name: o.name,
    description: o.description,
    images: items.length,
    truePairs: truePairCount(labels),
    buildMs,
    strictness,
    editsAlone: groupsAtEditsAlone(o.name, data, labels),
  };
}

/**
 * The rows grouped at the thresholds the calibration's edited copies alone give: near-identical their
 * median, very similar their 5th percentile, similar the random pairs' 99.9th percentile capped there.
 */
function groupsAtEditsAlone(
  name: string,
  data: LoadedDataDir,
  labels: readonly string[],
): NonNullable<CalibratedGroupsResult['editsAlone']> {
  const calibration = data.manifest.calibration;
  if (calibration === undefined)
    throw new Error(`${name}: no calibration to take the edits' thresholds from`);
  const m = calibration.measured;
  const near = m.editedCopy.p50;
  const very = Math.min(m.editedCopy.p05, near);
  const similar = Math.min(Math.max(m.randomPair.p999, Math.min(m.randomPair.p99, very)), very);
  const thresholds = { 'near-identical': near, 'very-similar': very, similar };
  const items = data.catalog.items;
  const dims = data.index.dims;
  const vectors = new Int8Array(items.length * dims);
  items.forEach((_, r) => vectors.set(data.index.vector(r), r * dims));
  const { levels } = findDuplicateGroups({
    vectors,
    dims,
    thresholds,
    positionOf: (row) => row,
    itemAt: (position) => items[position],
  });
  return DUPLICATE_STRICTNESS.map((s) => ({
    strictness: s,
    threshold: thresholds[s],
    ...pairQuality(
      labels,
      levels[s].groups.map((g) => g.members),
    ),
  }));
}

/** The demo data dir's own groups (no planted copies: every pair is two different emoji files). */
async function demoGroups(demoDataDir: string): Promise<CalibratedGroupsResult> {
  const data = await loadDataDir(demoDataDir);
  const items = data.catalog.items;
  const labels = items.map((it) => it.id);
  const strictness = (await readGroups(demoDataDir, new Map(items.map((it, i) => [it.id, i])))).map((x) => ({
    strictness: x.strictness,
    threshold: x.threshold,
    ...pairQuality(labels, x.groups),
  }));
  return {
    name: 'demo',
    description: `the demo data dir as built (${items.length} emoji of three vendors; no planted copies)`,
    images: items.length,
    truePairs: 0,
    buildMs: null,
    strictness,
    editsAlone: groupsAtEditsAlone('demo', data, labels),
  };
}

/** The demo's emoji files, labelled `<album>/<stem>`, in a seeded order. */
function demoOriginals(demoImages: string, seed: number): Original[] {
  const all = readdirSync(demoImages, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(demoImages, d.name))
        .sort()
        .map((f) => ({ file: path.join(demoImages, d.name, f), label: `${d.name}/${path.parse(f).name}` })),
    );
  const next = mulberry32(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

/** Every image of the photos dev set's gallery (wallpapers and distractors), labelled `<album>/<stem>`. */
export function photoOriginals(): Original[] {
  const gallery = path.join(DEV_SETS_DIR, 'photos', 'gallery');
  return readdirSync(gallery, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(gallery, d.name))
        .sort()
        .map((f) => ({ file: path.join(gallery, d.name, f), label: `${d.name}/${path.parse(f).name}` })),
    )
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/** The quick run's originals: a few emoji of two vendors (the same emoji by two vendors must not group). */
function tinyOriginals(fixtureDir: string): Original[] {
  return readdirSync(fixtureDir)
    .sort()
    .slice(0, 2)
    .flatMap((album) =>
      readdirSync(path.join(fixtureDir, album))
        .sort()
        .slice(0, 4)
        .map((f) => ({ file: path.join(fixtureDir, album, f), label: `${album}/${path.parse(f).name}` })),
    );
}

/**
 * `npm run bench`'s duplicates area. Full mode: the photos dev set (made by npm run dev-sets when
 * missing; it needs apt), built in a temporary folder under generated/bench/ with the shared embedding
 * cache. Quick mode: 8 fixture emoji (`fixtureDir`, written by runBench) in `workDir`, own cache.
 */
export async function duplicateBench(
  quick: boolean,
  workDir: string,
  fixtureDir: string,
  log: (m: string) => void,
): Promise<DuplicateBenchResult> {
  if (quick) {
    const dir = path.join(workDir, 'duplicates');
    return measureDuplicates({
      data: 'tiny',
      description: '8 fixture emoji (two vendors, four emoji each) and their edited copies',
      originals: tinyOriginals(fixtureDir),
      workDir: dir,
      cacheDir: path.join(dir, 'embeddings'),
      log,
    });
  }
  if (!existsSync(manifestPath(DEV_SETS_DIR, 'photos'))) {
    log('no photos dev set yet: making it (npm run dev-sets -- --sets photos)');
    const made = spawnSync('npm', ['run', '--silent', 'dev-sets', '--', '--sets', 'photos'], {
      stdio: 'inherit',
    });
    if (made.status !== 0 || !existsSync(manifestPath(DEV_SETS_DIR, 'photos')))
      throw new Error(
        'the photos dev set is unavailable (npm run dev-sets could not make it: its message says why; it needs apt for gnome-backgrounds / plasma-workspace-wallpapers): duplicates not measured',
      );
  }
  const originals = photoOriginals();
  const generatedBench = path.join(import.meta.dirname, '..', 'generated', 'bench');
  mkdirSync(generatedBench, { recursive: true });
  const dir = mkdtempSync(path.join(generatedBench, 'duplicates-'));
  try {
    const photos = await measureDuplicates({
      data: 'photos',
      description:
        `every photo of the photos dev set (${originals.length}: wallpapers with their light/dark variants, ` +
        'and distractor textures) as an original',
      originals,
      workDir: path.join(dir, 'photos'),
      log,
    });
    return { ...photos, calibrated: await calibratedCollections(originals, dir, log) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Grouping at a build's own calibration: the photos with more copies each (enough images to be
 * calibrated), the demo's emoji with copies of a few of them among many without, and the demo as built.
 */
async function calibratedCollections(
  photos: readonly Original[],
  dir: string,
  log: (m: string) => void,
): Promise<CalibratedGroupsResult[]> {
  const copies = Math.ceil(MIN_CALIBRATED_IMAGES / photos.length) - 1;
  const out = [
    await measureCalibratedGroups({
      name: 'photos',
      description: `every photo of the photos dev set (${photos.length}) with ${copies} edited copies each`,
      copied: photos,
      uncopied: [],
      copies,
      workDir: path.join(dir, 'calibrated-photos'),
      log,
    }),
  ];
  if (!existsSync(DEMO_IMAGES_DIR) || !existsSync(path.join(DEMO_DATA_DIR, 'manifest.json'))) {
    log('no generated/demo-images or demo-data: the emoji collections are skipped (npm run demo-data)');
    return out;
  }
  const emoji = demoOriginals(DEMO_IMAGES_DIR, COPY_SEED).slice(0, EMOJI_ORIGINALS);
  out.push(
    await measureCalibratedGroups({
      name: 'emoji',
      description:
        `${EMOJI_ORIGINALS} of the demo's emoji (three vendors, skin tones and all), ${EMOJI_COPIED} of them ` +
        `with ${EMOJI_COPIES} edited copies each`,
      copied: emoji.slice(0, EMOJI_COPIED),
      uncopied: emoji.slice(EMOJI_COPIED),
      copies: EMOJI_COPIES,
      workDir: path.join(dir, 'calibrated-emoji'),
      log,
    }),
    await demoGroups(DEMO_DATA_DIR),
  );
  return out;
}
