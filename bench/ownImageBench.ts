import { readFileSync } from 'node:fs';
import type { Browser } from '@playwright/test';
import sharp from 'sharp';
import { openSite } from './benchSite';
import { summarize, type LatencySummary } from './stats';

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
}

/** A photo-sized JPEG to decode: its bytes and size. */
export interface BenchPhoto {
  bytes: Uint8Array;
  width: number;
  height: number;
}

const PHOTO_DECODES = 7;

/**
 * A 12-megapixel JPEG, as a phone takes (4032 × 3024, quality 90): blurred noise, so that decoding costs
 * what a detailed photo's does without shipping one.
 */
export async function benchPhoto(): Promise<BenchPhoto> {
  const width = 4032;
  const height = 3024;
  const noise = { type: 'gaussian' as const, mean: 128, sigma: 40 };
  const bytes = await sharp({ create: { width, height, channels: 3, noise, background: '#808080' } })
    .blur(1.5)
    .jpeg({ quality: 90 })
    .toBuffer();
  return { bytes: new Uint8Array(bytes), width, height };
}

const K = 10;
const WARMUP = 3;
/** Queries timed while the preload runs (fewer when there are fewer query images: quick mode). */
const WHILE_PRELOADING = 20;

/**
 * Own-image queries with real image files: decoded on the page as the app does, then featurized and
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
  queryFiles: string[],
  isolated: boolean,
  photo?: BenchPhoto,
): Promise<OwnImageResult> {
  const site = await openSite(browser, distDir, dataDir, isolated);
  try {
    const images = queryFiles.map((f) => Array.from(readFileSync(f)));
    const r = await site.page.evaluate(
      async ([files, k, warmup, whileCount]) => {
        const api = window.__lookalike!;
        const decoded = await Promise.all(
          files.map((bytes) => api.decodeImage(new Blob([new Uint8Array(bytes)]))),
        );
        // The pixel buffer is transferred to the worker, so every call gets its own copy.
        const copy = (i: number) => {
          const p = decoded[i % decoded.length];
          return { width: p.width, height: p.height, data: p.data.slice() };
        };
        let t = performance.now();
        await api.searchClient.searchByPixels(copy(0), k);
        const firstQueryMs = performance.now() - t;
        const whilePreloading: number[] = [];
        for (let i = 1; i <= whileCount; i++) {
          t = performance.now();
          await api.searchClient.searchByPixels(copy(i), k);
          whilePreloading.push(performance.now() - t);
        }
        t = performance.now();
        await api.searchClient.preloadInBackground();
        const preloadMs = performance.now() - t;
        for (let i = 0; i < warmup; i++) await api.searchClient.searchByPixels(copy(i), k);
        const roundTrip: number[] = [];
        const inWorker: number[] = [];
        for (let i = 0; i < decoded.length; i++) {
          const pixels = copy(i);
          t = performance.now();
          const res = await api.searchClient.searchByPixels(pixels, k);
          roundTrip.push(performance.now() - t);
          inWorker.push(res.elapsedMs);
        }
        const status = await api.searchClient.status();
        return { firstQueryMs, whilePreloading, preloadMs, roundTrip, inWorker, status };
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
    };
  } finally {
    await site.close();
  }
}
