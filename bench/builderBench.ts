import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../testing/repoRoot';
import type { BuildReport } from '../index-builder/buildReport';
import type { IndexLayout } from '../index-builder/publishSettings';
import { EMOJI_VENDORS, emojiImages } from '../models/research/emojiDataset';

export interface BuilderRun {
  images: number;
  wallMs: number;
  maxRssBytes: number;
  featurized: number;
  cached: number;
  imagesPerSecond: number;
  timings: BuildReport['timings'];
}

export interface BuilderResult {
  /** A fresh build: empty embedding cache, empty data dir. */
  full: BuilderRun;
  /** The same build again after adding 1 % more images (the cache and the previous output kept). */
  incremental: BuilderRun;
  added: number;
  /** The same two runs in the sharded layout (absent in results written before it was measured). */
  sharded?: { full: BuilderRun; incremental: BuilderRun };
  /**
   * The fresh build again with the int8 model (its own empty cache and data dir; absent in results
   * written before it was measured).
   */
  int8?: { model: string; full: BuilderRun };
}

/** The default model with int8 weights and activations, a build option (docs/model.md). */
export const INT8_MODEL = 'mobilenet_v2_mid.int8-qdq';

function run(source: string, out: string, cache: string, layout: IndexLayout, model?: string): BuilderRun {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(import.meta.dirname, 'builderRun.ts'),
      source,
      out,
      cache,
      layout,
      ...(model ? [model] : []),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  if (r.status !== 0) throw new Error(`builder run failed:\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const { wallMs, maxRssBytes, report } = JSON.parse(line) as {
    wallMs: number;
    maxRssBytes: number;
    report: BuildReport;
  };
  return {
    images: report.counts.indexed,
    wallMs,
    maxRssBytes,
    featurized: report.counts.featurized,
    cached: report.counts.cached,
    imagesPerSecond: report.counts.indexed / (wallMs / 1000),
    timings: report.timings,
  };
}

/**
 * The builder on `count` emoji images (the demo's images, evenly picked across vendors, one album per
 * vendor; all of them when `count` is undefined), then an incremental rebuild after 1 % more are added;
 * in the resident layout, then in the sharded one (its own source, output and empty cache); then the
 * fresh resident build with the int8 model.
 */
export function builderBench(work: string, count?: number): BuilderResult {
  const all = EMOJI_VENDORS.flatMap((v) => emojiImages(v));
  if (count === undefined) count = Math.floor(all.length / 1.01);
  const added = Math.max(1, Math.ceil(count / 100));
  const picked = Array.from(
    { length: count + added },
    (_, i) => all[Math.floor((i * all.length) / (count + added))],
  );
  const copy = (source: string, from: number, to: number) => {
    for (const im of picked.slice(from, to)) {
      mkdirSync(path.join(source, im.vendor), { recursive: true });
      copyFileSync(im.file, path.join(source, im.vendor, path.basename(im.file)));
    }
  };
  // Every (count + added)-th slot held back first, so the added images are spread like the others.
  const initial = picked.filter((_, i) => i % Math.ceil(picked.length / added) !== 0);
  const extra = picked.filter((_, i) => i % Math.ceil(picked.length / added) === 0);
  picked.splice(0, picked.length, ...initial, ...extra);
  const fullThenIncremental = (layout: IndexLayout, suffix: string) => {
    const source = path.join(work, `builder-source${suffix}`);
    const out = path.join(work, `builder-out${suffix}`);
    const cache = path.join(work, `builder-cache${suffix}`);
    copy(source, 0, initial.length);
    const full = run(source, out, cache, layout);
    copy(source, initial.length, picked.length);
    return { full, incremental: run(source, out, cache, layout) };
  };
  const resident = fullThenIncremental('resident', '');
  const sharded = fullThenIncremental('sharded', '-sharded');
  // The fresh build's images, with the int8 model, from an empty cache of its own.
  copy(path.join(work, 'builder-source-int8'), 0, initial.length);
  const int8 = run(
    path.join(work, 'builder-source-int8'),
    path.join(work, 'builder-out-int8'),
    path.join(work, 'builder-cache-int8'),
    'resident',
    INT8_MODEL,
  );
  return { ...resident, added: extra.length, sharded, int8: { model: INT8_MODEL, full: int8 } };
}
