import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from '@playwright/test';
import sharp from 'sharp';
import { openSite } from './benchSite';
import { manifestPath, DEV_SETS_DIR } from './devSetManifest';
import { photoOriginals } from './duplicateBench';
import { summarize, type LatencySummary } from './stats';

/** What an own-image row's queries were: small emoji art, or photo-sized images the page shrinks first. */
type QueryImageKind = 'emoji' | 'photo';

/** Query image files of one kind, and where they come from (said in the report). */
export interface QueryImageSet {
  kind: QueryImageKind;
  source: string;
  files: string[];
}

/** The sizes of the pixels the page sent to the worker: what `decodeImage` made of the files. */
interface SentImages {
  kind: QueryImageKind;
  source: string;
  /** Fewest and most pixels of one query, as width × height. */
  smallest: { width: number; height: number };
  largest: { width: number; height: number };
  meanPixels: number;
}

export interface OwnImageResult {
  model: string;
  modelId: string;
  modelBytes: number;
  /** WASM threads the worker reported (1 without cross-origin isolation). */
  threads: number;
  executionProvider: string | null;
  crossOriginIsolated: boolean;
  collection: number;
  queries: number;
  /**
   * searchByPixels measured on the page (featurize + search + worker round trip) once the app's
   * background preload is done, the steady state of a visitor's tab; decoding excluded.
   */
  roundTrip: LatencySummary;
  /** The worker's elapsedMs (featurize + search) of the same queries. */
  inWorker: LatencySummary;
  /** The first query after load: model download, runtime start and session creation included. */
  firstQueryMs: number;
  /**
   * Queries right after the first, while the app's background preload still has catalog shards to read:
   * it holds its reads while a query runs, and each query reads its results' shards itself. Absent from
   * runs before December 2026.
   */
  whilePreloading?: LatencySummary;
  /** How long the preload went on after those queries. */
  preloadMs?: number;
  /**
   * `decodeImage` on the page (not part of the times above) of a phone-sized photo: decoded upright and
   * shrunk to the 1024 px a query is sent at. Absent from runs before December 2026.
   */
  photoDecode?: { width: number; height: number; bytes: number; ms: LatencySummary };
  /**
   * The query images and the size the page sent them at. Absent from runs before December 2026, whose
   * queries were all 64 × 64 emoji PNGs.
   */
  queryImages?: SentImages;
}

/** A photo-sized JPEG to decode: its bytes and size. */
interface BenchPhoto {
  bytes: Uint8Array;
  width: number;
  height: number;
}

const PHOTO_DECODES = 7;

/**
 * A 12-megapixel JPEG, as a phone takes (4032 × 3024, quality 90): blurred noise, so that decoding costs
 * what a detailed photo's does without shipping one.
 */
export async function benchPhoto(width = 4032, height = 3024): Promise<BenchPhoto> {
  const noise = { type: 'gaussian' as const, mean: 128, sigma: 40 };
  const bytes = await sharp({ create: { width, height, channels: 3, noise, background: '#808080' } })
    .blur(1.5)
    .jpeg({ quality: 90 })
    .toBuffer();
  return { bytes: new Uint8Array(bytes), width, height };
}

/** The long side the page shrinks a query image to (src/imageFile/decodeImage.ts MAX_QUERY_SIDE). */
const QUERY_SIDE = 1024;

/**
 * Photo-sized query images, which the page shrinks to 1024 px before the worker gets them, as it does a
 * visitor's photo: the wallpapers of the photos dev set (gnome-backgrounds, plasma-workspace-wallpapers,
 * long side 1600 px) larger than that, evenly spaced, at most `count`; the demo collection holds none.
 * Without the dev set (quick mode, or not made), `count` synthetic 1600 × 1200 JPEGs (benchPhoto) in `workDir`.
 */
export async function photoQueries(quick: boolean, count: number, workDir: string): Promise<QueryImageSet> {
  if (!quick && existsSync(manifestPath(DEV_SETS_DIR, 'photos'))) {
    const wallpapers: string[] = [];
    for (const o of photoOriginals()) {
      if (o.label.startsWith('distractors/')) continue;
      const m = await sharp(o.file).metadata();
      if (Math.max(m.width ?? 0, m.height ?? 0) > QUERY_SIDE) wallpapers.push(o.file);
    }
    if (wallpapers.length > 0) {
      const n = Math.min(count, wallpapers.length);
      return {
        kind: 'photo',
        source:
          'wallpapers of the photos dev set (gnome-backgrounds, plasma-workspace-wallpapers; JPEG, long side 1600 px)',
        files: Array.from(
          { length: n },
          (_, i) => wallpapers[Math.floor(((i + 0.5) * wallpapers.length) / n)],
        ),
      };
    }
  }
  const dir = path.join(workDir, 'photo-queries');
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `photo-${i}.jpg`);
    if (!existsSync(file)) writeFileSync(file, (await benchPhoto(1600, 1200)).bytes);
    files.push(file);
  }
  return {
    kind: 'photo',
    source: 'synthetic 1600 × 1200 JPEGs (blurred noise, quality 90; no photos dev set in this run)',
    files,
  };
}

const K = 10;
const WARMUP = 3;
/** Queries timed while the preload runs (fewer when there are fewer query images: quick mode). */
const WHILE_PRELOADING = 20;

/**
 * Own-image queries with real image files: each decoded on the page as the app does (`decodeImage`:
 * upright, long side at most 1024 px) right before its query and outside its time, then featurized and
 * searched in the worker. `isolated` decides the thread count (SharedArrayBuffer needs isolation).
 * Timed in the steady state, after the app's background preload, as the album-image queries are: on
 * 2 cores the preload's reads (fetch, checksum, IndexedDB write) compete with the model, so the queries
 * made before it ends are reported apart.
 */
export async function ownImageBench(
  browser: Browser,
  distDir: string,
  dataDir: string,
  model: { label: string; modelId: string; modelBytes: number },
  queries: QueryImageSet,
  isolated: boolean,
  photo?: BenchPhoto,
): Promise<OwnImageResult> {
  const site = await openSite(browser, distDir, dataDir, isolated);
  try {
    const images = queries.files.map((f) => ({
      base64: readFileSync(f).toString('base64'),
      type: /\.jpe?g$/i.test(f) ? 'image/jpeg' : 'image/png',
    }));
    const r = await site.page.evaluate(
      async ([files, k, warmup, whileCount]) => {
        const api = window.__lookalike!;
        const blobs = files.map(
          (f) => new Blob([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], { type: f.type }),
        );
        // What the page hands the worker for a picked file; its pixel buffer is transferred, so every
        // query decodes its own (a photo's decode is not in the times, as it is not in the worker's).
        const decode = (i: number) => api.decodeImage(blobs[i % blobs.length]);
        let pixels = await decode(0);
        let t = performance.now();
        await api.searchClient.searchByPixels(pixels, k);
        const firstQueryMs = performance.now() - t;
        const whilePreloading: number[] = [];
        for (let i = 1; i <= whileCount; i++) {
          pixels = await decode(i);
          t = performance.now();
          await api.searchClient.searchByPixels(pixels, k);
          whilePreloading.push(performance.now() - t);
        }
        t = performance.now();
        await api.searchClient.preloadInBackground();
        const preloadMs = performance.now() - t;
        for (let i = 0; i < warmup; i++) await api.searchClient.searchByPixels(await decode(i), k);
        const roundTrip: number[] = [];
        const inWorker: number[] = [];
        const sent: { width: number; height: number }[] = [];
        for (let i = 0; i < blobs.length; i++) {
          pixels = await decode(i);
          sent.push({ width: pixels.width, height: pixels.height });
          t = performance.now();
          const res = await api.searchClient.searchByPixels(pixels, k);
          roundTrip.push(performance.now() - t);
          inWorker.push(res.elapsedMs);
        }
        const status = await api.searchClient.status();
        return { firstQueryMs, whilePreloading, preloadMs, roundTrip, inWorker, sent, status };
      },
      [images, K, WARMUP, Math.min(WHILE_PRELOADING, images.length)] as const,
    );
    // A call of its own, after the queries: handing the page megabytes before them would give the
    // preload a head start and flatter the queries timed while it runs.
    const decodeMs = photo
      ? await site.page.evaluate(
          async ([bytes, count]) => {
            const blob = new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' });
            const times: number[] = [];
            for (let i = 0; i < count; i++) {
              const t0 = performance.now();
              await window.__lookalike!.decodeImage(blob);
              times.push(performance.now() - t0);
            }
            return times;
          },
          [Array.from(photo.bytes), PHOTO_DECODES] as const,
        )
      : [];
    return {
      model: model.label,
      modelId: model.modelId,
      modelBytes: model.modelBytes,
      threads: r.status.threads,
      executionProvider: r.status.executionProvider,
      crossOriginIsolated: r.status.crossOriginIsolated,
      collection: site.load.count,
      queries: r.roundTrip.length,
      roundTrip: summarize(r.roundTrip),
      inWorker: summarize(r.inWorker),
      firstQueryMs: r.firstQueryMs,
      whilePreloading: summarize(r.whilePreloading),
      preloadMs: r.preloadMs,
      photoDecode: photo && {
        width: photo.width,
        height: photo.height,
        bytes: photo.bytes.length,
        ms: summarize(decodeMs),
      },
      queryImages: sentImages(queries, r.sent),
    };
  } finally {
    await site.close();
  }
}

/** The sizes the page sent the timed queries at. */
function sentImages(queries: QueryImageSet, sent: { width: number; height: number }[]): SentImages {
  const bySize = [...sent].sort((a, b) => a.width * a.height - b.width * b.height);
  return {
    kind: queries.kind,
    source: queries.source,
    smallest: bySize[0],
    largest: bySize[bySize.length - 1],
    meanPixels: sent.reduce((sum, x) => sum + x.width * x.height, 0) / sent.length,
  };
}
