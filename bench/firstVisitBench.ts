import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { parseManifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { ResidentCollection } from '../core/residentCollection';
import { fileDataSource } from '../storage/fileDataSource';
import { waitForOfflineReady } from '../testing/pageReadiness';
import { summarize } from './stats';
import { fileKind, meterWireBytes } from './wireBytes';
import { startServer } from '../scripts/serve';
import { E2E_EXPECT_MS } from '../testing/timeLimits';

interface VisitResult {
  /** From navigation start to the first result tile on the page (the page's performance.now()). */
  msToFirstResult: number;
  /** Bytes of the files served before the first result appeared (sizes on disk, before any gzip encoding). */
  bytesToFirstResult: number;
  requestsToFirstResult: number;
  /** bytesToFirstResult split by what the files are. */
  bytesByKind: Record<string, number>;
  /** Bytes on the wire before the first result (Chromium's encoded byte counts: headers + encoded bodies). Absent in older results. */
  wireBytesToFirstResult?: number;
  wireBytesByKind?: Record<string, number>;
  /** From navigation start until the first image of the page (query image or result tile) has loaded inside the viewport. */
  msToFirstThumbnail?: number;
  /**
   * Every fresh-profile visit's times when the page was visited more than once (absent in older results);
   * msToFirstResult and msToFirstThumbnail are then their medians.
   */
  samples?: VisitTimes[];
}

/** One fresh-profile visit's times to an album image's results. */
interface VisitTimes {
  msToFirstResult: number;
  msToFirstThumbnail: number;
}

/** A first visit straight to an album page, until its first thumbnail is visible. */
interface AlbumVisitResult {
  url: string;
  /** The median visit's (by this time) when there were several; its bytes and requests are that visit's. */
  msToFirstThumbnail: number;
  /** Every visit's time to the first thumbnail (absent in older results). */
  msToFirstThumbnailSamples?: number[];
  wireBytes: number;
  requests: number;
  wireBytesByKind: Record<string, number>;
}

export interface FirstVisitResult {
  collection: number;
  url: string;
  first: VisitResult;
  /** First visit until the service worker has precached the shell (what makes later visits offline-capable). */
  bytesUntilOfflineReady: number;
  /**
   * A new tab in the same browser profile after the server has been stopped, the first visit's tab closed and
   * the service worker stopped. msToFirstResult is the median of repeatSamples when there are several.
   */
  repeatOffline: VisitResult;
  /**
   * Every repeat visit's time to the first result. Absent in older results, whose one repeat tab opened
   * while the first visit's was still open, its service worker running.
   */
  repeatSamples?: number[];
  /** A fresh profile navigating straight to an album page. Absent in older results. */
  firstAlbumPage?: AlbumVisitResult;
}

/**
 * Fresh-profile visits per page for the times (full mode): one visit's time swings by a few hundred ms
 * on a shared 2-core host, so the report gives the median.
 */
export const FIRST_VISIT_SAMPLES = 5;

/** The median (nearest rank: one of the samples) of the visits' times. */
const median = (values: number[]) => summarize(values).p50;

/**
 * What "the first thumbnail visible" means: an album grid image, a result tile's image, or — since in the
 * bench's 1280×720 viewport the result tiles start below the fold — the query image above them.
 */
const THUMBNAILS =
  '[data-testid="results"] img, [data-testid="thumbnail-grid"] img, [data-testid="query-image"] img';

/** The page's clock when the first thumbnail has loaded and lies inside the viewport. */
async function timeToFirstThumbnail(page: Page): Promise<number> {
  const handle = await page.waitForFunction(
    (selector) => {
      for (const img of document.querySelectorAll<HTMLImageElement>(selector)) {
        if (!img.complete || img.naturalWidth === 0) continue;
        const r = img.getBoundingClientRect();
        if (r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth)
          return performance.now();
      }
      return 0;
    },
    THUMBNAILS,
    { polling: 'raf', timeout: E2E_EXPECT_MS },
  );
  return (await handle.jsonValue()) as number;
}

async function timeToFirstResult(page: Page, url: string, stage: string): Promise<number> {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  try {
    await page.goto(url);
    const handle = await page.waitForFunction(
      () => (document.querySelector('[data-testid="result"]') ? performance.now() : 0),
      undefined,
      { polling: 'raf', timeout: E2E_EXPECT_MS },
    );
    return (await handle.jsonValue()) as number;
  } catch (err) {
    const body = (
      await page
        .locator('body')
        .innerText()
        .catch(() => '')
    ).slice(0, 300);
    throw new Error(`${stage}: ${(err as Error).message}\npage: ${body}\n${problems.join('\n')}`, {
      cause: err,
    });
  }
}

/**
 * A first visit (fresh profile: empty HTTP cache, no service worker, empty IndexedDB) straight to an
 * album image's results, against a repeat visit in the same profile with the host gone.
 */
export async function firstVisitBench(
  browser: Browser,
  distDir: string,
  dataDir: string,
  visits = FIRST_VISIT_SAMPLES,
): Promise<FirstVisitResult> {
  const manifest = parseManifest(JSON.parse(readFileSync(path.join(dataDir, 'manifest.json'), 'utf8')));
  const collection = await openCollection(manifest, fileDataSource(dataDir));
  // A resident build's items in index-row order, so the query image is the one earlier runs used.
  const items =
    collection instanceof ResidentCollection
      ? await collection.itemsInRowOrder()
      : await collection.everyItem();
  const paths: string[] = [];
  const server = await startServer({
    distDir,
    dataDir,
    port: 0,
    exitAfterMs: 10 * 60_000,
    onRequest: ({ method, path: p }) => {
      if (method === 'GET') paths.push(p);
    },
  });
  const bytes = (ps: string[]) =>
    [...new Set(ps)].reduce((sum, p) => {
      const clean = decodeURIComponent(p.split(/[?#]/)[0]);
      const file = clean.startsWith('/data/')
        ? path.join(dataDir, clean.slice('/data/'.length))
        : path.join(distDir, clean === '/' ? 'index.html' : clean.slice(1));
      try {
        return sum + statSync(file).size;
      } catch {
        return sum; // a 404 sends a few bytes of text
      }
    }, 0);
  const visit = (ms: number, ps: string[]): VisitResult => {
    const bytesByKind: Record<string, number> = {};
    for (const p of new Set(ps)) bytesByKind[fileKind(p)] = (bytesByKind[fileKind(p)] ?? 0) + bytes([p]);
    return {
      msToFirstResult: ms,
      bytesToFirstResult: bytes(ps),
      requestsToFirstResult: ps.length,
      bytesByKind,
    };
  };
  const id = items[Math.floor(items.length / 2)].id;
  const url = `${server.url}#/search/${encodeURIComponent(id)}?k=10`;
  const album = items[0].album;
  const context = await browser.newContext();
  try {
    // The album page first, in its own fresh profile, while no other tab of the site is busy: after the
    // results-page visit below, that tab's background preload (the model's WebAssembly compile, the index)
    // keeps both cores busy for seconds, which no visitor arriving at an album page shares.
    const albumUrl = `${server.url}#/album/${encodeURIComponent(album)}?k=10`;
    const albumVisits: AlbumVisitResult[] = [];
    for (let i = 0; i < visits; i++) albumVisits.push(await albumVisit(browser, albumUrl));
    // The median visit by time, with its bytes and requests.
    const albumTimes = albumVisits.map((v) => v.msToFirstThumbnail);
    const firstAlbumPage = {
      ...albumVisits.find((v) => v.msToFirstThumbnail === median(albumTimes))!,
      msToFirstThumbnailSamples: albumTimes,
    };
    // More fresh-profile visits to the results page, for its times only; the one below also counts bytes.
    const resultVisits: VisitTimes[] = [];
    for (let i = 1; i < visits; i++) resultVisits.push(await resultsVisit(browser, url));
    // The server's request log counts the measured results-page visit alone.
    paths.splice(0);
    const page = await context.newPage();
    const wire = await meterWireBytes(page);
    const firstMs = await timeToFirstResult(page, url, 'first visit');
    const firstWire = await wire.snapshot();
    const firstPaths = [...paths];
    const firstThumbnailMs = await timeToFirstThumbnail(page);
    const samples: VisitTimes[] = [
      { msToFirstResult: firstMs, msToFirstThumbnail: firstThumbnailMs },
      ...resultVisits,
    ];
    await waitForOfflineReady(page);
    // Let the worker finish writing the data to IndexedDB before the host goes away.
    await page.evaluate(() => window.__lookalike!.searchClient.load('./data/'));
    const offlineReadyBytes = bytes(paths);
    await wire.cdp.detach();
    await server.close();
    // The visitor comes back later: the first tab is gone and so is the running service worker.
    await page.close();
    paths.splice(0);
    const repeatSamples: number[] = [];
    for (let i = 0; i < visits; i++) repeatSamples.push(await repeatVisit(context, url));
    const repeatMs = median(repeatSamples);
    return {
      collection: items.length,
      url: '#/search/<id>?k=10',
      first: {
        ...visit(median(samples.map((v) => v.msToFirstResult)), firstPaths),
        wireBytesToFirstResult: firstWire.bytes,
        wireBytesByKind: firstWire.byKind,
        msToFirstThumbnail: median(samples.map((v) => v.msToFirstThumbnail)),
        samples,
      },
      bytesUntilOfflineReady: offlineReadyBytes,
      repeatOffline: visit(repeatMs, paths),
      repeatSamples,
      firstAlbumPage,
    };
  } finally {
    await context.close();
    await server.close();
  }
}

/**
 * A repeat visit in `context` (its service worker registered, the data in IndexedDB) with no tab of the site
 * open: the service worker is stopped first, as the browser stops it once it has been idle (30 s in
 * Chromium), so the visit pays for starting it. Throws unless it was stopped before the navigation, started
 * by it, and controls the page (CDP ServiceWorker domain). Time to the first result only.
 */
async function repeatVisit(context: BrowserContext, url: string): Promise<number> {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    const status = new Map<string, { scriptURL: string; status: string; runningStatus: string }>();
    const seen: string[] = [];
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      for (const v of versions) {
        status.set(v.versionId, v);
        if (v.status === 'activated') seen.push(v.runningStatus);
      }
    });
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    const activated = () => [...status.values()].filter((v) => v.status === 'activated');
    const deadline = Date.now() + E2E_EXPECT_MS;
    while (activated().length === 0 || activated().some((v) => v.runningStatus !== 'stopped')) {
      if (Date.now() > deadline)
        throw new Error(
          `repeat visit: the service worker did not stop: ${JSON.stringify([...status.values()])}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    seen.splice(0);
    const ms = await timeToFirstResult(page, url, 'repeat visit, offline');
    const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
    if (!seen.includes('starting') || !controlled)
      throw new Error(
        `repeat visit: the navigation did not start the service worker (running states seen: ${seen.join(', ') || 'none'}; page controlled: ${controlled})`,
      );
    await cdp.detach();
    return ms;
  } finally {
    await page.close();
  }
}

/** A fresh profile navigating straight to an album image's results: times only. */
async function resultsVisit(browser: Browser, url: string): Promise<VisitTimes> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const msToFirstResult = await timeToFirstResult(page, url, 'first visit');
    return { msToFirstResult, msToFirstThumbnail: await timeToFirstThumbnail(page) };
  } finally {
    await context.close();
  }
}

/** A fresh profile navigating straight to an album page: time and wire bytes to its first visible thumbnail. */
async function albumVisit(browser: Browser, url: string): Promise<AlbumVisitResult> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const wire = await meterWireBytes(page);
    await page.goto(url);
    const ms = await timeToFirstThumbnail(page);
    const w = await wire.snapshot();
    return {
      url: '#/album/<name>?k=10',
      msToFirstThumbnail: ms,
      wireBytes: w.bytes,
      requests: w.requests,
      wireBytesByKind: w.byKind,
    };
  } finally {
    await context.close();
  }
}
