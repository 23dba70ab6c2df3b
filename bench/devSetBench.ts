import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EMOJI_VENDORS, emojiImages, skinToneFacet } from '../models/research/emojiDataset';
import { ensureDefaultModel, ensureNsfwjsModel, type EnsuredModel } from '../models/ensureModel';
import {
  DEV_SETS_DIR,
  DEV_SET_MANIFEST_VERSION,
  DEV_SET_NAMES,
  manifestPath,
  type DevSetManifest,
  type DevSetName,
  type DevSetQuery,
} from './devSetManifest';
import { evaluatePipeline, type DevSetReport, type EvaluateOptions, type Pipeline } from './devSetQuality';

/*
 * The dev sets in `npm run bench`'s quality area, for two pipelines side by side: the shipped default
 * (ensureDefaultModel(), default builder settings: the transform learned from edited views) and the
 * previous default (nsfwjs mobilenet_v2, `views: 0`: the plain whitened PCA); on the emoji sets the shipped
 * one again with labels, and with sources, from the images' names. Baselines in the same run:
 * the exact float scan of the raw embeddings once per model, the colour histogram once. Full mode: the
 * sets of generated/devsets (made by npm run dev-sets when missing; photos and textures need apt,
 * emoji-facebook the npm registry).
 * Quick mode (npm test): a tiny leave-one-vendor-out emoji set made from the emoji packages in the run's
 * work folder; no apt, no generated data.
 */

export interface DevSetBenchResult {
  /** 'full': generated/devsets; 'tiny': the quick run's small emoji set. */
  data: 'full' | 'tiny';
  /** The shipped default pipeline, with the float-scan and colour-histogram baselines. */
  report: DevSetReport;
  /**
   * The previous default pipeline on the same sets and queries, with its own model's float scan when
   * that model differs from the shipped one; or why it was not measured. Absent in results written
   * before it was measured.
   */
  previous?: DevSetReport | { error: string };
  /**
   * The shipped pipeline again on the emoji sets, whose gallery names carry each emoji's code, with
   * `labelPattern` reading it (the labels the demo build takes from its metadata): what a collection
   * that labels its images gains. Absent in results written before it was measured.
   */
  labelled?: DevSetReport | { error: string };
  /**
   * The shipped pipeline again on the emoji sets with `sourcePattern` reading each gallery image's vendor
   * from its name, and no labels: what a collection that names only where its images come from gains.
   * Absent in results written before it was measured.
   */
  sourced?: DevSetReport | { error: string };
  /** Sets not measured and why. */
  unavailable: Record<string, string>;
}

/** The previous shipped default: the nsfwjs MobileNetV2 with the plain whitened PCA (no views). */
const PREVIOUS_MODEL = 'mobilenet_v2';
const PREVIOUS_SETTINGS = { views: 0 } as const;
const TINY_EMOJI_PER_VENDOR = 40;
/** The sets whose galleries are demo images under their demo names (`<vendor>_<code>.png`). */
const NAMED_EMOJI_SETS: readonly DevSetName[] = ['emoji', 'emoji-facebook', 'emoji-sources'];
/**
 * The emoji's code in a demo name (`Smileys & Emotion/apple_1F600.png`; a skin tone is a code of its
 * own, `…_1F44B-1F3FB.png`) as `--label-pattern`: the same labels the demo's metadata gives its images
 * (scripts/demoData.ts), which the dev sets' galleries do not carry.
 */
export const DEMO_LABEL_PATTERN = '_([0-9A-F]+(?:-[0-9A-F]+)*)\\.png$';
/**
 * The vendor in a demo name (`Smileys & Emotion/apple_1F600.png`, or a dev-set gallery's
 * `google/google_1F600.png`) as `--source-pattern`.
 */
export const DEMO_SOURCE_PATTERN = '^[^/]+/([a-z]+)_';

/** The emoji sets again with what their names say: the emoji's code as labels, or the vendor as sources. */
const NAMED_PIPELINES = {
  labelled: { suffix: 'labels from names', settings: { labelPattern: DEMO_LABEL_PATTERN } },
  sourced: { suffix: 'sources from names', settings: { sourcePattern: DEMO_SOURCE_PATTERN } },
} as const;
type NamedPipeline = keyof typeof NAMED_PIPELINES;

/** The model's file name without .json: short, stable, and what generated/models calls it. */
const modelName = (m: EnsuredModel) => path.basename(m.specPath, '.json');

/**
 * Both pipelines on `sets`: the shipped one (ensureDefaultModel(), default builder settings) with both
 * baselines, then the previous one with its model's float scan only when that model differs. A failure
 * of the previous one (its model included) is recorded, not thrown. `settings` go to both builds.
 */
async function evaluateBoth(
  sets: readonly DevSetName[],
  opts: EvaluateOptions & { settings?: Pipeline['settings'] },
  log: (m: string) => void,
): Promise<Pick<DevSetBenchResult, 'report' | 'previous' | 'labelled' | 'sourced'>> {
  const { settings, ...evaluate } = opts;
  const shippedModel = await ensureDefaultModel({ quiet: true });
  const shipped: Pipeline = {
    label: `shipped (${modelName(shippedModel)})`,
    modelSpecPath: shippedModel.specPath,
    settings: { ...settings },
  };
  log(`pipeline ${shipped.label}: ${shippedModel.spec.id}`);
  const report = await evaluatePipeline(shipped, sets, { ...evaluate, log });
  const labelled = await evaluateNamed('labelled', shipped, sets, evaluate, log);
  const sourced = await evaluateNamed('sourced', shipped, sets, evaluate, log);
  try {
    const previousModel = await ensureNsfwjsModel(PREVIOUS_MODEL, { quiet: true });
    const previous: Pipeline = {
      label: `previous (${modelName(previousModel)}, views 0)`,
      modelSpecPath: previousModel.specPath,
      settings: { ...settings, ...PREVIOUS_SETTINGS },
    };
    log(`pipeline ${previous.label}: ${previousModel.spec.id}`);
    const prev = await evaluatePipeline(previous, sets, {
      ...evaluate,
      // The histogram is the shipped run's; the float scan once per model.
      baselines: { float: previousModel.spec.id !== shippedModel.spec.id, histogram: false },
      log,
    });
    return { report, previous: prev, labelled, sourced };
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`previous pipeline FAILED: ${message}`);
    return { report, previous: { error: message }, labelled, sourced };
  }
}

/** The shipped pipeline with what the demo's names say (`which`), on the emoji sets among `sets`; a failure is recorded. */
async function evaluateNamed(
  which: NamedPipeline,
  shipped: Pipeline,
  sets: readonly DevSetName[],
  evaluate: EvaluateOptions,
  log: (m: string) => void,
): Promise<DevSetReport | { error: string } | undefined> {
  const named = sets.filter((s) => NAMED_EMOJI_SETS.includes(s));
  if (named.length === 0) return undefined;
  const { suffix, settings } = NAMED_PIPELINES[which];
  const pipeline: Pipeline = {
    label: `${shipped.label} + ${suffix}`,
    modelSpecPath: shipped.modelSpecPath,
    settings: { ...shipped.settings, ...settings },
  };
  log(`pipeline ${pipeline.label}`);
  try {
    return await evaluatePipeline(pipeline, named, { ...evaluate, baselines: false, log });
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`${which} pipeline FAILED: ${message}`);
    return { error: message };
  }
}

/**
 * A small emoji dev set under `root`: `perVendor` emoji that all vendors draw (evenly spaced over the
 * sorted codes); each vendor in turn queries a gallery of the other two (one album per vendor).
 */
export function writeTinyEmojiDevSet(root: string, perVendor: number): DevSetManifest {
  const byVendor = EMOJI_VENDORS.map((v) => emojiImages(v));
  const sets = byVendor.map((ims) => new Set(ims.map((im) => im.unified)));
  const shared = [...sets[0]].filter((u) => sets.every((s) => s.has(u))).sort();
  const chosen = Array.from(
    { length: Math.min(perVendor, shared.length) },
    (_, i) => shared[Math.floor((i * shared.length) / perVendor)],
  );
  const fileOf = (vi: number, u: string) => byVendor[vi].find((im) => im.unified === u)!.file;
  const splits = EMOJI_VENDORS.map((held, hi) => {
    const labels: Record<string, string> = {};
    const queries: DevSetQuery[] = [];
    EMOJI_VENDORS.forEach((vendor, vi) => {
      for (const u of chosen) {
        const name = `${vendor}_${u}.png`;
        const rel = vi === hi ? `emoji/${held}/queries/${name}` : `emoji/${held}/gallery/${vendor}/${name}`;
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        copyFileSync(fileOf(vi, u), path.join(root, rel));
        if (vi === hi) queries.push({ file: rel, label: u, group: held, facet: skinToneFacet(u) });
        else labels[`${vendor}/${name}`] = u;
      }
    });
    return { name: held, gallery: `emoji/${held}/gallery`, labels, queries };
  });
  const manifest: DevSetManifest = {
    version: DEV_SET_MANIFEST_VERSION,
    set: 'emoji',
    description:
      `${chosen.length} emoji drawn by all three vendors (emoji-datasource packages); each vendor in turn ` +
      'queries a gallery of the other two; a match is the same `unified` code.',
    splits,
  };
  mkdirSync(path.join(root, 'emoji'), { recursive: true });
  writeFileSync(manifestPath(root, 'emoji'), JSON.stringify(manifest));
  return manifest;
}

export async function devSetBench(
  quick: boolean,
  workDir: string,
  log: (m: string) => void,
): Promise<DevSetBenchResult> {
  if (quick) {
    const root = path.join(workDir, 'devsets');
    writeTinyEmojiDevSet(root, TINY_EMOJI_PER_VENDOR);
    // Its own embedding cache: the quick run leaves generated/ alone.
    const both = await evaluateBoth(
      ['emoji'],
      { root, settings: { cacheDir: path.join(root, 'embeddings') } },
      log,
    );
    return {
      data: 'tiny',
      ...both,
      unavailable: { photos: 'quick mode', 'photos-unseen': 'quick mode', textures: 'quick mode' },
    };
  }
  const root = DEV_SETS_DIR;
  const missing = () => DEV_SET_NAMES.filter((s) => !existsSync(manifestPath(root, s)));
  if (missing().length > 0) {
    log(`no dev sets ${missing().join(', ')} yet: making them (npm run dev-sets)`);
    const made = spawnSync('npm', ['run', '--silent', 'dev-sets'], { stdio: 'inherit' });
    if (made.status !== 0) log(`npm run dev-sets failed (exit ${made.status ?? made.signal}); going on`);
  }
  const unavailable: Record<string, string> = {};
  for (const s of missing())
    unavailable[s] = 'npm run dev-sets could not make it (its message says why; apt?)';
  const sets = DEV_SET_NAMES.filter((s): s is DevSetName => !(s in unavailable));
  if (sets.length === 0) throw new Error('no dev set is available');
  return { data: 'full', ...(await evaluateBoth(sets, { root }, log)), unavailable };
}
