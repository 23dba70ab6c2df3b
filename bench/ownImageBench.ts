import { readFileSync } from 'node:fs';
import type { Browser } from '@playwright/test';
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
    };
  } finally {
    await site.close();
  }
}
