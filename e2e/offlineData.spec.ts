import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../scripts/serve';
import { forwardRequest } from '../testing/httpForward';
import { waitForOfflineReady, waitForSearchApi } from '../testing/pageReadiness';
import { E2E_DATA_DIR, E2E_DUPLICATES_DATA_DIR, serverUrl } from './harness';
import { copies, deployNewApp } from './siteCopies';

/*
 * What a visitor's browser keeps for offline use (workers/dataCache.ts, workers/serviceWorker.ts) when
 * other sites share the origin and when a visit is cut off.
 */

/** One origin, one site per path: `/<name>/…` goes to that site's server (GitHub Pages project sites). */
async function oneOrigin(sites: Record<string, RunningServer>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const m = /^\/([^/]+)(\/.*)$/.exec(req.url ?? '');
    const site = m ? sites[m[1]] : undefined;
    if (!m || !site) {
      res.statusCode = 404;
      res.end();
      return;
    }
    forwardRequest(req, res, { host: '127.0.0.1', port: site.port, path: m[2] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Loads the site's collection and its first album's first items; the error's message if that fails. */
function loadFirstAlbum(page: Page): Promise<{ count: number; items: number; fromCache: boolean } | string> {
  return page.evaluate(async () => {
    try {
      const client = window.__lookalike!.searchClient;
      const info = await client.load('./data/');
      const items = await client.albumItems(info.albums[0].name, 0, 3);
      return { count: info.count, items: items.length, fromCache: info.fromCache };
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  });
}

/**
 * Waits until IndexedDB holds a catalog part of the build whose catalog has `scope` as sha256 (the
 * worker stores parts in the background once the page has them: workers/cachedDataSource.ts).
 */
async function waitForStoredPart(page: Page, scope: string): Promise<void> {
  await expect
    .poll(() =>
      page.evaluate(
        (prefix) =>
          new Promise<boolean>((resolve) => {
            const open = indexedDB.open('lookalike');
            open.onerror = () => resolve(false);
            open.onsuccess = () => {
              const db = open.result;
              const request = db.transaction('files').objectStore('files').getAllKeys();
              request.onsuccess = () => {
                resolve(request.result.some((k) => typeof k === 'string' && k.startsWith(prefix)));
                db.close();
              };
              request.onerror = () => {
                resolve(false);
                db.close();
              };
            };
          }),
        `part:${scope}:`,
      ),
    )
    .toBe(true);
}

/** The sha256 of the catalog of the build in `dataDir`: the scope its catalog parts are stored under. */
function catalogScope(dataDir: string): string {
  const manifest = JSON.parse(readFileSync(join(dataDir, 'manifest.json'), 'utf8')) as {
    catalog: { sha256: string };
  };
  return manifest.catalog.sha256;
}

/** Loads `url`'s collection and first album, and waits until both are kept for offline use. */
async function visitForOffline(page: Page, url: string, dataDir: string): Promise<{ count: number }> {
  await page.goto(url);
  await waitForSearchApi(page);
  const loaded = await loadFirstAlbum(page);
  if (typeof loaded === 'string') throw new Error(`${url}: ${loaded}`);
  await waitForOfflineReady(page);
  await waitForStoredPart(page, catalogScope(dataDir));
  return loaded;
}

test("two sites on one origin, each a version of the app of its own, keep each other's offline data", async ({
  browser,
}) => {
  const a = copies('one-origin-a');
  const b = copies('one-origin-b');
  deployNewApp(b.dist);
  const siteA = await startServer({ distDir: a.dist, dataDir: a.data, port: 0, exitAfterMs: 5 * 60_000 });
  const siteB = await startServer({
    distDir: b.dist,
    dataDir: E2E_DUPLICATES_DATA_DIR,
    port: 0,
    exitAfterMs: 5 * 60_000,
  });
  const origin = await oneOrigin({ a: siteA, b: siteB });
  const context = await browser.newContext();
  try {
    const pageA = await context.newPage();
    const first = await visitForOffline(pageA, `${origin.url}/a/`, a.data);
    const pageB = await context.newPage();
    const other = await visitForOffline(pageB, `${origin.url}/b/`, E2E_DUPLICATES_DATA_DIR);
    expect(other.count).not.toBe(first.count);
    await pageB.close();

    await context.setOffline(true);
    await pageA.reload();
    await waitForSearchApi(pageA);
    expect(await loadFirstAlbum(pageA)).toEqual({ count: first.count, items: 3, fromCache: true });
    const pageB2 = await context.newPage();
    await pageB2.goto(`${origin.url}/b/`);
    await waitForSearchApi(pageB2);
    expect(await loadFirstAlbum(pageB2)).toEqual({ count: other.count, items: 3, fromCache: true });
  } finally {
    await context.close();
    origin.server.close();
    await siteA.close();
    await siteB.close();
  }
});

test('a visit cut off after a rebuild keeps the last whole build, online and offline', async ({
  browser,
}) => {
  const { dist, data } = copies('cut-off-visit');
  const server = await startServer({ distDir: dist, dataDir: data, port: 0, exitAfterMs: 5 * 60_000 });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const before = await visitForOffline(page, server.url, data);

    // The site is rebuilt: another build's files, and its manifest, in the same data dir.
    cpSync(E2E_DUPLICATES_DATA_DIR, data, { recursive: true });
    // The new manifest comes through, then the connection drops before the new catalog does.
    await context.route(/\/data\/catalog\./, (route) => route.abort('internetdisconnected'));
    await page.reload();
    await waitForSearchApi(page);
    expect(await loadFirstAlbum(page)).toEqual({ count: before.count, items: 3, fromCache: true });
    await context.unroute(/\/data\/catalog\./);

    await context.setOffline(true);
    await page.reload();
    await waitForSearchApi(page);
    expect(await loadFirstAlbum(page)).toEqual({ count: before.count, items: 3, fromCache: true });

    // Back online, the new build loads whole and becomes the stored one. (Whether this load's files came
    // from the network or IndexedDB depends on whether the page's own load of the collection had finished.)
    await context.setOffline(false);
    await page.reload();
    await waitForSearchApi(page);
    const after = await loadFirstAlbum(page);
    if (typeof after === 'string') throw new Error(after);
    expect(after.items).toBe(3);
    expect(after.count).not.toBe(before.count);
    await waitForStoredPart(page, catalogScope(data));
    await context.setOffline(true);
    await page.reload();
    await waitForSearchApi(page);
    expect(await loadFirstAlbum(page)).toEqual({ count: after.count, items: 3, fromCache: true });
  } finally {
    await context.close();
    await server.close();
  }
});

test('a connection that stalls (no answer, no error) opens the stored build instead of waiting for ever', async ({
  browser,
}) => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await visitForOffline(page, serverUrl(), E2E_DATA_DIR);
    // The host takes the request for the manifest and never answers: a captive portal, a network that
    // drops packets but keeps the socket. Before, the page showed its loading state for ever; now, after
    // the stall limit (20 s), it opens the build stored on the first visit.
    let stalled = 0;
    await context.route(/\/data\/manifest\.json/, () => void stalled++);
    await page.reload();
    await expect(page.getByTestId('album')).toHaveCount(3);
    expect(stalled).toBeGreaterThan(0);
  } finally {
    await context.close();
  }
});
