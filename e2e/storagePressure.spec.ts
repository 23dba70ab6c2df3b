import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import {
  FIXTURE_IMAGES_DIR,
  loadCollection,
  searchByImageInPage,
  serveE2eBuild,
  workerStatus,
} from './harness';

/*
 * Storage pressure (issue 13 item 6): an origin whose quota cannot hold the app shell, the runtime or the
 * model. The service worker's install fails, IndexedDB refuses the big files, and the app must say which
 * features that costs (offline use, the cached model) while own-image search runs without waiting on a
 * service worker that will never be ready. Chromium's DevTools protocol sets the origin's quota.
 */

/** Holds the fixture's index and catalog (≈ 140 KB), not the model (1.9 MB) nor the runtime (14 MB). */
const SMALL_QUOTA_BYTES = 1_000_000;

async function withQuota(context: BrowserContext, url: string, quotaSize: number): Promise<Page> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin, quotaSize });
  return page;
}

function fixtureImage(): Uint8Array {
  const dir = join(FIXTURE_IMAGES_DIR, 'Google');
  const file = readdirSync(dir).filter((f) => f.endsWith('.png'))[0];
  return readFileSync(join(dir, file));
}

test('a small storage quota: degraded features are named, own-image search does not wait for offline setup', async ({
  browser,
}) => {
  const { server } = await serveE2eBuild(false);
  const context = await browser.newContext();
  try {
    const page = await withQuota(context, server.url, SMALL_QUOTA_BYTES);
    await page.goto(server.url);
    await loadCollection(page);

    // The first own-image search of the visit: the runtime and the model load now.
    const started = Date.now();
    const response = await searchByImageInPage(page, fixtureImage(), 5);
    const firstSearchMs = Date.now() - started;
    expect(response.results.length).toBe(5);
    console.log(`first own-image search with a ${SMALL_QUOTA_BYTES / 1e6} MB quota: ${firstSearchMs} ms`);

    // Offline setup has ended (it cannot succeed in this quota) and says why; nothing is left "installing".
    const offline = await page.evaluate(() => window.__lookalike!.offlineStatus());
    expect(offline.state).toBe('failed');
    expect(offline.state === 'failed' && offline.message).toMatch(/storage/i);

    // What fits is kept (the collection), what does not is named (the model), with the reason.
    const status = await workerStatus(page);
    expect(status.model).toBe('ready');
    expect(status.storage.notKept).toEqual(['model']);
    expect(status.storage.reason).toBe('storage quota exceeded');

    // The status line names each degraded feature.
    await expect(page.getByTestId('status-offline-failed')).toContainText(/offline use.*storage is short/i);
    await expect(page.getByTestId('status-storage-short')).toContainText('model is not kept');
    await expect(page.getByTestId('status-storage-short')).not.toContainText('collection is not kept');

    // A second own-image search needs nothing more from storage or the network.
    const again = await searchByImageInPage(page, fixtureImage(), 5);
    expect(again.results.map((r) => r.id)).toEqual(response.results.map((r) => r.id));

    // For the record (no test may pass or fail on speed): the same first search with storage to spare.
    const roomy = await browser.newContext();
    try {
      const other = await roomy.newPage();
      await other.goto(server.url);
      await loadCollection(other);
      const t0 = Date.now();
      await searchByImageInPage(other, fixtureImage(), 5);
      console.log(`first own-image search with the default quota: ${Date.now() - t0} ms`);
    } finally {
      await roomy.close();
    }
  } finally {
    await context.close();
    await server.close();
  }
});
