import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { KEEP_NAMES_INIT_SCRIPT } from './benchSite';
import { HNSW_WASM_WORKER_SOURCE } from './hnswWasmWorker';
import { summarize, type LatencySummary } from './stats';

/*
 * hnswlib-wasm as a peer of Lookalike's album-image query, in the same browser and run as the album-query
 * benchmark: the same flat float32 file from the same server, the same query rows, the same warm-up, in a
 * Web Worker.
 */

/** hnswlib's usual graph parameters (its own defaults: M 16, efConstruction 200). */
const HNSW_M = 16;
const HNSW_EF_CONSTRUCTION = 200;
/** The recall@k against the exact scan the search ef is raised to reach. */
const HNSW_TARGET_RECALL = 0.95;
/** Search ef values tried in order; the first to reach the target recall is timed. */
const EF_SWEEP = [12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];

export interface HnswWasmResult {
  library: string;
  /** Round trip to its worker per query, at `ef`. */
  latency: LatencySummary;
  m: number;
  efConstruction: number;
  /** The search ef timed: the smallest of the sweep that reached the target recall, else the largest. */
  ef: number;
  /** Recall@k against the exact float scan at each ef tried (the sweep stops at the target). */
  sweep: { ef: number; recall: number }[];
  recallVsFloat: number;
  /** Inserting every row into the graph, in the worker. */
  buildMs: number;
  /** Importing the glue and instantiating the module. */
  startMs: number;
  /** The saved index file: its size (writeIndex), or hnswlib's file layout for a file too large to save. */
  indexBytes: number;
  indexBytesFrom: 'writeIndex' | 'layout';
  /**
   * The package's JS a page using its loadHnswlib loads: the loader (3.5 kB) and the Emscripten glue with
   * the .wasm inlined (the bench's worker imports the glue directly).
   */
  libraryBytes: number;
  /** The peer's page had the 5 µs timer of a cross-origin isolated page, like Lookalike's. */
  crossOriginIsolated: boolean;
}

/** The peer's own page and the package's glue, on the site's origin (routed: the glue from node_modules). */
const PEER_DIR = '/bench-peers';
const PAGE_PATH = `${PEER_DIR}/hnswlib-wasm.html`;
const GLUE_PATH = `${PEER_DIR}/hnswlib-wasm.js`;
const PAGE_HTML = '<!doctype html><meta charset="utf-8"><title>hnswlib-wasm peer</title>';

/**
 * The largest index file the bench saves to measure: writeIndex goes through IDBFS into IndexedDB,
 * whose sync failed for a 220 MB file (100k × 512-d) in the bench's in-memory browser context; 66 MB
 * (30k) saved.
 */
const MAX_SAVED_INDEX_BYTES = 100e6;

/**
 * hnswlib's saveIndex file for `count` rows, wasm32 (size_t 4 bytes): a 56-byte header, every row's
 * level-0 block (its 2M links and their count, the float32 vector, its label), then each row's upper
 * levels (a 4-byte length, M links and their count per level above 0). Levels are random, P(level ≥ l) =
 * M^-l, so the upper levels are their expected number, count / (M − 1). Within 0.01 % of the saved files
 * at 2k and 30k rows; the upper levels are 0.2 % of the file.
 */
function hnswlibFileBytes(count: number, dim: number, m: number): number {
  const level0 = 2 * m * 4 + 4 + dim * 4 + 4;
  const upper = m * 4 + 4;
  return 56 + count * (level0 + 4) + Math.round((upper * count) / (m - 1));
}

interface LibraryFiles {
  version: string;
  loader: string;
  glue: string;
}

/** The installed package: its version, its loader and the glue the loader imports. */
function libraryFiles(): LibraryFiles {
  const pkg = createRequire(import.meta.url).resolve('hnswlib-wasm/package.json');
  const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
  const loader = path.join(path.dirname(pkg), 'dist', 'hnswlib.js');
  const name = /import\("\.\/(hnswlib-[\w-]+\.js)"\)/.exec(readFileSync(loader, 'utf8'))?.[1];
  if (!name) throw new Error(`hnswlib-wasm: ${loader} no longer imports its glue as ./hnswlib-<hash>.js`);
  return { version, loader, glue: path.join(path.dirname(loader), name) };
}

interface PeerGlobal {
  __hnswPeer: {
    call(msg: unknown, transfer?: Transferable[]): Promise<Record<string, unknown>>;
    worker: Worker;
  };
}

/** The album-query benchmark's queries, as the peer answers them. */
interface PeerQueries {
  /** The flat float32 file in the site's data dir. */
  flatFile: string;
  count: number;
  dim: number;
  /** Flat-file rows to query, in order. */
  queryRows: number[];
  k: number;
  warmup: number;
  /** Recall@k of flat-row results (one list per query row) against the exact scan. */
  recallOf: (results: number[][]) => number;
}

/**
 * Opens the peer's page next to `sitePage` (same browser, origin and server), builds the index in a
 * worker there from `/data/<flatFile>`, raises the search ef until `recallOf` reaches the target, then
 * times the query rows one by one after the warm-up queries.
 */
export async function hnswWasmPeer(sitePage: Page, queries: PeerQueries): Promise<HnswWasmResult> {
  const files = libraryFiles();
  // Not Lookalike's page: embind (the glue's C++ bindings) builds its invokers with the Function
  // constructor, which the site's CSP (script-src 'self' 'wasm-unsafe-eval') refuses. The peer gets a
  // page of its own on the same origin and server, in the same browser, served like a site using the
  // package would serve it (the glue a file of the origin, nothing from a CDN), with the site page's
  // cross-origin isolation (the timer).
  const isolated = await sitePage.evaluate(() => crossOriginIsolated);
  const headers: Record<string, string> = isolated
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : {};
  // A context of its own: Lookalike's service worker, registered in the site's context, would otherwise
  // answer the peer page's requests.
  const browser = sitePage.context().browser();
  if (!browser) throw new Error('hnswWasmPeer: the site page has no browser to open the peer page in');
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.addInitScript({ content: KEEP_NAMES_INIT_SCRIPT });
  const page = await context.newPage();
  try {
    await page.route(`**${PEER_DIR}/**`, (route) => {
      const pathname = new URL(route.request().url()).pathname;
      if (pathname === GLUE_PATH)
        return route.fulfill({ path: files.glue, contentType: 'text/javascript', headers });
      if (pathname === PAGE_PATH)
        return route.fulfill({ body: PAGE_HTML, contentType: 'text/html', headers });
      return route.fulfill({ status: 404, body: 'not found' });
    });
    await page.goto(new URL(PAGE_PATH, sitePage.url()).href);
    return await measure(page, files, queries);
  } finally {
    await context.close();
  }
}

async function measure(
  page: Page,
  files: LibraryFiles,
  { flatFile, count, dim, queryRows, k, warmup, recallOf }: PeerQueries,
): Promise<HnswWasmResult> {
  const layoutBytes = hnswlibFileBytes(count, dim, HNSW_M);
  const loaded = await page.evaluate(
    async ([source, glue, file, d, m, efConstruction, saveIndex]) => {
      const buffer = await (await fetch(`/data/${file}`)).arrayBuffer();
      const workerUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const worker = new Worker(workerUrl, { type: 'module' });
      const call = (msg: unknown, transfer: Transferable[] = []) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          worker.onmessage = (e: MessageEvent<Record<string, unknown>>) =>
            e.data.type === 'error' ? reject(new Error(String(e.data.message))) : resolve(e.data);
          worker.onerror = (e) => reject(new Error(e.message));
          worker.postMessage(msg, transfer);
        });
      (globalThis as unknown as PeerGlobal).__hnswPeer = { call, worker };
      const built = await call(
        {
          type: 'load',
          glueUrl: new URL(glue, location.href).href,
          buffer,
          dim: d,
          m,
          efConstruction,
          saveIndex,
        },
        [buffer],
      );
      return {
        ...(built as { startMs: number; buildMs: number; indexBytes: number | null }),
        crossOriginIsolated,
      };
    },
    [
      HNSW_WASM_WORKER_SOURCE,
      GLUE_PATH,
      flatFile,
      dim,
      HNSW_M,
      HNSW_EF_CONSTRUCTION,
      layoutBytes <= MAX_SAVED_INDEX_BYTES,
    ] as const,
  );
  const sweep: { ef: number; recall: number }[] = [];
  for (const ef of EF_SWEEP) {
    const { results } = (await page.evaluate(
      ([rows, kk, e]) =>
        (globalThis as unknown as PeerGlobal).__hnswPeer.call({ type: 'batch', rows, k: kk, ef: e }),
      [queryRows, k, ef] as const,
    )) as { results: number[][] };
    sweep.push({ ef, recall: recallOf(results) });
    if (sweep[sweep.length - 1].recall >= HNSW_TARGET_RECALL) break;
  }
  const chosen = sweep[sweep.length - 1];
  // The last sweep step left the index at the chosen ef.
  const ms = await page.evaluate(
    async ([rows, kk, w]) => {
      const peer = (globalThis as unknown as PeerGlobal).__hnswPeer;
      for (let i = 0; i < w; i++) await peer.call({ type: 'query', row: rows[i % rows.length], k: kk });
      const times: number[] = [];
      for (const row of rows) {
        const t = performance.now();
        await peer.call({ type: 'query', row, k: kk });
        times.push(performance.now() - t);
      }
      peer.worker.terminate();
      return times;
    },
    [queryRows, k, warmup] as const,
  );
  return {
    library: `hnswlib-wasm ${files.version}`,
    latency: summarize(ms),
    m: HNSW_M,
    efConstruction: HNSW_EF_CONSTRUCTION,
    ef: chosen.ef,
    sweep,
    recallVsFloat: chosen.recall,
    buildMs: loaded.buildMs,
    startMs: loaded.startMs,
    indexBytes: loaded.indexBytes ?? layoutBytes,
    indexBytesFrom: loaded.indexBytes === null ? 'layout' : 'writeIndex',
    libraryBytes: statSync(files.loader).size + statSync(files.glue).size,
    crossOriginIsolated: loaded.crossOriginIsolated,
  };
}
