import type { Browser } from '@playwright/test';
import { openSite } from './benchSite';
import { FLOAT_SCAN_WORKER_SOURCE } from './floatScanWorker';
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
  floatLoadMs: number;
  indexBytes: number;
  /** All neighbour-list shards; a query reads one. */
  neighboursBytes: number;
  floatBytes: number;
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
): Promise<AlbumQueryResult> {
  // Isolated: Chromium's performance.now() is then coarsened to 5 µs instead of 100 µs.
  const site = await openSite(browser, distDir, input.dir, true);
  try {
    const step = Math.max(1, Math.floor(input.count / queryCount));
    const rows = Array.from({ length: Math.min(queryCount, input.count) }, (_, i) => i * step);
    const ids = rows.map((r) => input.ids[r]);
    const lookalike = await site.page.evaluate(
      async ([queryIds, k, warmup]) => {
        const client = window.__lookalike!.searchClient;
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
        return { roundTrip, inWorker, results };
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
    let found = 0;
    let wanted = 0;
    float.results.forEach((exact, i) => {
      const got = new Set(lookalike.results[i].map((id) => flatRowOfId.get(id)));
      wanted += exact.length;
      for (const r of exact) if (got.has(r)) found++;
    });
    return {
      label: input.label,
      count: input.count,
      dim: input.dim,
      queries: rows.length,
      lookalike: summarize(lookalike.roundTrip),
      lookalikeInWorker: summarize(lookalike.inWorker),
      floatScan: summarize(float.ms),
      recallVsFloat: wanted ? found / wanted : 0,
      indexLoadMs: site.loadMs,
      floatLoadMs: float.loadMs,
      indexBytes,
      neighboursBytes: input.neighboursBytes,
      floatBytes: float.bytes,
      crossOriginIsolated: site.status.crossOriginIsolated,
    };
  } finally {
    await site.close();
  }
}
