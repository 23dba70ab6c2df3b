import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startServer, type RunningServer } from '../scripts/serve';
import { waitForSearchApi } from '../testing/pageReadiness';
import { REPO_ROOT } from '../testing/repoRoot';
import type { CatalogItem } from '../core/catalog';
import type { LoadInfo, SearchResponse, WorkerStatus } from '../workers/searchApi';
// window.__lookalike's type: a global that src/searchClient.ts declares for the e2e build.
import type {} from '../src/searchClient';

/*
 * Shared by every e2e spec (worker-level and UI-flow): where the fixture build lives, where the site is
 * served, and small page helpers that drive window.__lookalike (the e2e build is made with
 * VITE_EXPOSE_SEARCH_API=true). What the bench shares with e2e (the browser, page waits, the repo root)
 * is in testing/.
 */

export const E2E_DIR = join(REPO_ROOT, 'generated', 'e2e');
/** <Album>/<emoji>.png, 3 albums (Apple, Google, Twitter) × 10 smileys; see testing/fixtureImages.ts. */
export const FIXTURE_IMAGES_DIR = join(E2E_DIR, 'images');
/** The data dir built from FIXTURE_IMAGES_DIR by `npm run build-index`. */
export const E2E_DATA_DIR = join(E2E_DIR, 'data');
/** The same images as a sharded data dir (cells of 3 rows, catalog shards of 4 items); e2e/buildShardedFixture.ts. */
export const E2E_SHARDED_DATA_DIR = join(E2E_DIR, 'data-sharded');
/** A collection big enough for the builder to calibrate scores (≥ 1000 images): 3 vendors × 340 emoji. */
export const CALIBRATED_IMAGES_DIR = join(E2E_DIR, 'images-calibrated');
export const CALIBRATED_EMOJI_PER_ALBUM = 340;
export const E2E_CALIBRATED_DATA_DIR = join(E2E_DIR, 'data-calibrated');
/**
 * The fixture plus planted near-duplicates in an album 'Copies' (testing/fixtureImages.ts PLANTED_COPIES),
 * and its data dir: duplicate groups known in advance.
 */
export const DUPLICATES_IMAGES_DIR = join(E2E_DIR, 'images-duplicates');
export const E2E_DUPLICATES_DATA_DIR = join(E2E_DIR, 'data-duplicates');
/** Env var naming this run's `vite build` output (globalSetup builds into a per-run dir). */
export const DIST_DIR_ENV = 'LOOKALIKE_E2E_DIST';

/**
 * `vite build` output of the e2e build. globalSetup builds into a per-run dir and hands it to the test
 * workers through DIST_DIR_ENV, so runs by several people on one checkout never serve a half-written site.
 */
export const E2E_DIST_DIR = process.env[DIST_DIR_ENV] ?? join(E2E_DIR, 'dist');

/** A host name that is not localhost, hence not a secure context over plain HTTP. */
export const INSECURE_HOST = 'lookalike.test';

/** Env var through which globalSetup hands the server URL to the test workers. */
export const SERVER_URL_ENV = 'LOOKALIKE_E2E_URL';

/** Base URL of the site served by globalSetup (ends in '/'); the data dir is at `${serverUrl()}data/`. */
export function serverUrl(): string {
  const url = process.env[SERVER_URL_ENV];
  if (!url)
    throw new Error(
      `${SERVER_URL_ENV} is not set: run the tests with \`npx playwright test\` (globalSetup serves the site)`,
    );
  return url;
}

/** Chromium flag that resolves INSECURE_HOST to the local server. */
export function insecureHostArgs(): string[] {
  return [`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`];
}

/** `url` with its host replaced by INSECURE_HOST (same port). */
export function onInsecureHost(url: string): string {
  const u = new URL(url);
  u.hostname = INSECURE_HOST;
  return u.href;
}

/** Loads the collection in the page's worker, as the app does. */
export async function loadCollection(page: Page): Promise<LoadInfo> {
  await waitForSearchApi(page);
  return page.evaluate(() => window.__lookalike!.searchClient.load('./data/'));
}

/** Every item of the loaded collection, album by album, through the worker's paged albumItems(). */
export function allItems(page: Page, info: LoadInfo): Promise<CatalogItem[]> {
  return page.evaluate(async (albums) => {
    const client = window.__lookalike!.searchClient;
    const perAlbum = await Promise.all(albums.map((a) => client.albumItems(a.name, 0, a.count)));
    return perAlbum.flat();
  }, info.albums);
}

export function searchById(page: Page, id: string, k: number): Promise<SearchResponse> {
  return page.evaluate(([i, n]) => window.__lookalike!.searchClient.searchById(i, n), [id, k] as const);
}

export function workerStatus(page: Page): Promise<WorkerStatus> {
  return page.evaluate(() => window.__lookalike!.searchClient.status());
}

/** The embedding the browser computes for an image file (decoded on the page, featurized in the worker). */
export async function embedInPage(page: Page, file: Uint8Array): Promise<Float32Array> {
  const values = await page.evaluate(async (bytes) => {
    const api = window.__lookalike!;
    const pixels = await api.decodeImage(new Blob([new Uint8Array(bytes)]));
    return Array.from(await api.searchClient.embed(pixels));
  }, Array.from(file));
  return Float32Array.from(values);
}

/** An own-image search with an image file, as the app runs it. */
export function searchByImageInPage(page: Page, file: Uint8Array, k: number): Promise<SearchResponse> {
  return page.evaluate(
    async ([bytes, n]) => {
      const api = window.__lookalike!;
      const pixels = await api.decodeImage(new Blob([new Uint8Array(bytes)]));
      return api.searchClient.searchByPixels(pixels, n);
    },
    [Array.from(file), k] as const,
  );
}

/** Paths requested from a server started by serveE2eBuild, in order. */
export interface RequestLog {
  paths: string[];
  clear(): void;
}

/**
 * A second server for the e2e build on its own free port: a new origin (fresh service worker and
 * IndexedDB), which a test may stop to go truly offline, with a log of the paths it served.
 */
export async function serveE2eBuild(
  isolationHeaders = false,
): Promise<{ server: RunningServer; log: RequestLog }> {
  const paths: string[] = [];
  const server = await startServer({
    distDir: E2E_DIST_DIR,
    dataDir: E2E_DATA_DIR,
    port: 0,
    isolationHeaders,
    onRequest: ({ method, path }) => {
      if (method === 'GET') paths.push(path);
    },
  });
  return { server, log: { paths, clear: () => void paths.splice(0) } };
}
