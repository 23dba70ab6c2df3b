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
  /** searchByPixels measured on the page (featurize + search + worker round trip); decoding excluded. */
  roundTrip: LatencySummary;
  /** The worker's elapsedMs (featurize + search). */
  inWorker: LatencySummary;
  /** The first query after load: model download, runtime start and session creation included. */
  firstQueryMs: number;
}

const K = 10;
const WARMUP = 3;

/**
 * Own-image queries with real image files: decoded on the page as the app does, then featurized and
 * searched in the worker. `isolated` decides the thread count (SharedArrayBuffer needs isolation).
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
      async ([files, k, warmup]) => {
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
        return { firstQueryMs, roundTrip, inWorker, status: await api.searchClient.status() };
      },
      [images, K, WARMUP] as const,
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
    };
  } finally {
    await site.close();
  }
}
