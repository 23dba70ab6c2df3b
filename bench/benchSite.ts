import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { launchBrowser } from '../testing/chromium';
import { waitForSearchApi } from '../testing/pageReadiness';
import { REPO_ROOT } from '../testing/repoRoot';
import { startServer, type RunningServer } from '../scripts/serve';
import type { LoadInfo, WorkerStatus } from '../workers/searchApi';
import { FLAT_EMBEDDINGS_FILE } from './syntheticDataDir';

type LoadSummary = LoadInfo;

/*
 * The production site built with the test hook (window.__lookalike), served with one data dir, opened in
 * the system Chromium: every browser area of the benchmark drives the real worker through it.
 */

/** vite build with VITE_EXPOSE_SEARCH_API=true into `outDir`. */
export function buildBenchSite(outDir: string): void {
  const vite = path.join(REPO_ROOT, 'node_modules', '.bin', 'vite');
  const r = spawnSync(vite, ['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    // NODE_ENV=production: under vitest it is 'test', which changes the build (no service worker precache).
    env: { ...process.env, NODE_ENV: 'production', VITE_EXPOSE_SEARCH_API: 'true' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
}

/** tsx (esbuild keepNames) wraps functions in __name(); functions passed to page.evaluate need it defined. */
export const KEEP_NAMES_INIT_SCRIPT = 'globalThis.__name = globalThis.__name || ((f) => f);';

interface OpenSite {
  server: RunningServer;
  page: Page;
  load: LoadSummary;
  /** Page-measured time of searchClient.load (fetch, verify, decode, cache). */
  loadMs: number;
  status: WorkerStatus;
  close(): Promise<void>;
}

/**
 * Serves `distDir` + `dataDir` on a fresh port (a fresh origin: empty cache), opens the page and loads
 * the collection in the worker. `isolated` sends COOP/COEP, which enables WASM threads and a 5 µs timer.
 */
export async function openSite(
  browser: Browser,
  distDir: string,
  dataDir: string,
  isolated: boolean,
  onRequest?: (request: { method: string; path: string }) => void,
): Promise<OpenSite> {
  // Stops by itself in case the run is killed before close().
  const server = await startServer({
    distDir,
    dataDir,
    port: 0,
    isolationHeaders: isolated,
    exitAfterMs: 20 * 60_000,
    onRequest,
    // The exact-scan and hnswlib baselines read the flat embeddings next to the index.
    extraDataFiles: [FLAT_EMBEDDINGS_FILE],
  });
  const context = await browser.newContext();
  await context.addInitScript({ content: KEEP_NAMES_INIT_SCRIPT });
  const page = await context.newPage();
  try {
    await page.goto(server.url);
    await waitForSearchApi(page);
    const { load, loadMs } = await page.evaluate(async () => {
      const t = performance.now();
      const load = await window.__lookalike!.searchClient.load('./data/');
      return { load, loadMs: performance.now() - t };
    });
    const status = await page.evaluate(() => window.__lookalike!.searchClient.status());
    return {
      server,
      page,
      load,
      loadMs,
      status,
      close: async () => {
        await context.close();
        await server.close();
      },
    };
  } catch (err) {
    await context.close();
    await server.close();
    throw err;
  }
}

export { launchBrowser };
