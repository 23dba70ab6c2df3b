import { queryRows } from './queryRows';
import type { Browser } from '@playwright/test';
import { openSite } from './benchSite';
import { FLOAT_SCAN_WORKER_SOURCE } from './floatScanWorker';
import { hnswWasmPeer, type HnswWasmResult } from './hnswWasmPeer';
import { summarize, type LatencySummary } from './stats';
import { FLAT_EMBEDDINGS_FILE } from './syntheticDataDir';

/** A data dir with the flat float32 file of the same vectors next to its index. */
export interface AlbumBenchInput {
  label: string;
  dir: string;
  count: number;
  dim: number;
  /** Catalog ids in index row order. */
  ids: string[];
  /** Index row → row of the same image in the flat file. */
  flatRowOf: Int32Array;
  /** The build's neighbour lists, all shards (what album-image queries read instead of the index). */
  neighboursBytes: number;
  /** What Lookalike computed ahead of these queries, to set beside the peer's build time. */
  precompute?: LookalikePrecompute;
}

/** Lookalike's build-time work behind album-image queries, in Node (both cores). */
export interface LookalikePrecompute {
  /** Fitting the transform and assembling the index. */
  indexMs: number;
  /** Every image's exact top 10 (index-builder/neighbourLists.ts). */
  neighboursMs: number;
}

export interface AlbumQueryResult {
  label: string;
  count: number;
  dim: number;
  queries: number;
  /** searchById measured on the page: includes the comlink round trip to the worker. */
  lookalike: LatencySummary;
  /** The worker's own elapsedMs for the same queries. */
  lookalikeInWorker: LatencySummary;
  /** Exact float32 cosine scan over the flat file in a Web Worker, same queries, same page. */
  floatScan: LatencySummary;
  /** Share of the exact float top-k that Lookalike's top-k contains. */
  recallVsFloat: number;
  indexLoadMs: number;
  /** The app's background preload (model, catalog shards, neighbour lists), awaited before timing. */
  preloadMs?: number;
  floatLoadMs: number;
  indexBytes: number;
  /** All neighbour-list shards; a query reads one. */
  neighboursBytes: number;
  /** Absent in older results. */
  precompute?: LookalikePrecompute;
  floatBytes: number;
  /** hnswlib-wasm over the same flat file, same browser and run; absent in older results and rows run without it. */
  hnswWasm?: HnswWasmResult;
  /** Why the hnswlib-wasm peer has no figures for this row, when it failed (the other peers still count). */
  hnswWasmError?: string;
  crossOriginIsolated: boolean;
}

const K = 10;
const WARMUP = 20;

export async function albumQueryBench(
  browser: Browser,
  distDir: string,
  input: AlbumBenchInput,
  queryCount: number,
  indexBytes: number,
  /** Also build and time the hnswlib-wasm peer (minutes at 100k rows). */
  withHnswWasm = true,
): Promise<AlbumQueryResult> {
  // Isolated: Chromium's performance.now() is then coarsened to 5 µs instead of 100 µs.
  const site = await openSite(browser, distDir, input.dir, true);
  try {
    const rows = queryRows(input.count, queryCount);
    const ids = rows.map((r) => input.ids[r]);
    const lookalike = await site.page.evaluate(
      async ([queryIds, k, warmup]) => {
        const client = window.__lookalike!.searchClient;
        // The steady state a visitor reaches: the app preloads the catalog shards and neighbour lists
        // (with the model) in the background after its first content; the first queries before that
        // fetch their shards, which the cold-visit bench measures.
        const t0 = performance.now();
        await client.preloadInBackground();
        const preloadMs = performance.now() - t0;
        for (let i = 0; i < warmup; i++) await client.searchById(queryIds[i % queryIds.length], k);
        const roundTrip: number[] = [];
        const inWorker: number[] = [];
        const results: string[][] = [];
        for (const id of queryIds) {
          const t = performance.now();
          const r = await client.searchById(id, k);
          roundTrip.push(performance.now() - t);
          inWorker.push(r.elapsedMs);
          results.push(r.results.map((h) => h.id));
        }
        return { roundTrip, inWorker, results, preloadMs };
      },
      [ids, K, WARMUP] as const,
    );
    const flatRows = rows.map((r) => input.flatRowOf[r]);
    const float = await site.page.evaluate(
      async ([source, file, dim, queryRows, k, warmup]) => {
        const t0 = performance.now();
        const buffer = await (await fetch(`./data/${file}`)).arrayBuffer();
        const bytes = buffer.byteLength;
        const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
        const call = (msg: unknown, transfer: Transferable[] = []) =>
          new Promise<{ rows?: number[] }>((resolve, reject) => {
            worker.onmessage = (e: MessageEvent<{ rows?: number[] }>) => resolve(e.data);
            worker.onerror = (e) => reject(new Error(e.message));
            worker.postMessage(msg, transfer);
          });
        await call({ type: 'load', buffer, dim }, [buffer]);
        const loadMs = performance.now() - t0;
        for (let i = 0; i < warmup; i++)
          await call({ type: 'query', row: queryRows[i % queryRows.length], k });
        const ms: number[] = [];
        const results: number[][] = [];
        for (const row of queryRows) {
          const t = performance.now();
          const r = await call({ type: 'query', row, k });
          ms.push(performance.now() - t);
          results.push(r.rows ?? []);
        }
        worker.terminate();
        return { ms, results, loadMs, bytes };
      },
      [FLOAT_SCAN_WORKER_SOURCE, FLAT_EMBEDDINGS_FILE, input.dim, flatRows, K, Math.min(WARMUP, 5)] as const,
    );
    const flatRowOfId = new Map(input.ids.map((id, row) => [id, input.flatRowOf[row]]));
    /** Share of the exact float top-k (flat rows) that each query's results contain. */
    const recallVsFloat = (results: (number | undefined)[][]) => {
      let found = 0;
      let wanted = 0;
      float.results.forEach((exact, i) => {
        const got = new Set(results[i]);
        wanted += exact.length;
        for (const r of exact) if (got.has(r)) found++;
      });
      return wanted ? found / wanted : 0;
    };
    // A failing peer is recorded on its row: Lookalike's and the float scan's figures still count.
    let hnswWasm: HnswWasmResult | undefined;
    let hnswWasmError: string | undefined;
    if (withHnswWasm) {
      try {
        hnswWasm = await hnswWasmPeer(site.page, {
          flatFile: FLAT_EMBEDDINGS_FILE,
          count: input.count,
          dim: input.dim,
          queryRows: flatRows,
          k: K,
          warmup: WARMUP,
          recallOf: recallVsFloat,
        });
      } catch (err) {
        hnswWasmError = err instanceof Error ? err.message : String(err);
      }
    }
    return {
      label: input.label,
      count: input.count,
      dim: input.dim,
      queries: rows.length,
      lookalike: summarize(lookalike.roundTrip),
      lookalikeInWorker: summarize(lookalike.inWorker),
      floatScan: summarize(float.ms),
      recallVsFloat: recallVsFloat(lookalike.results.map((ids) => ids.map((id) => flatRowOfId.get(id)))),
      indexLoadMs: site.loadMs,
      preloadMs: lookalike.preloadMs,
      floatLoadMs: float.loadMs,
      indexBytes,
      neighboursBytes: input.neighboursBytes,
      precompute: input.precompute,
      floatBytes: float.bytes,
      hnswWasm,
      hnswWasmError,
      crossOriginIsolated: site.status.crossOriginIsolated,
    };
  } finally {
    await site.close();
  }
}
