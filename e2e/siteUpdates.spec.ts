import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { NEWEST_INDEX_VERSION } from '../core/indexFormat';
import { RESIDENT_MANIFEST_VERSION, contentAddressedName, fileRefFor } from '../core/manifest';
import { startServer } from '../scripts/serve';
import { E2E_EXPECT_MS } from '../testing/timeLimits';
import { waitForOfflineReady } from '../testing/pageReadiness';
import { loadCollection } from './harness';
import { logServiceWorkers, type ServiceWorkerLog } from './serviceWorkerLog';
import { DEPLOY_MARKER, copies, deployNewApp } from './siteCopies';

/*
 * A site rebuilt by a newer Lookalike while a tab runs the app it started with (open before the deploy,
 * or started from the shell the service worker kept): the tab meets a data file in a format newer than
 * it reads. The page then updates the service worker, reloads once into the site's current app, and
 * works; when the site's own app cannot read its collection either, it says so and does not reload again.
 */

function countLoads(page: Page): { loads: number } {
  const seen = { loads: 0 };
  page.on('load', () => seen.loads++);
  return seen;
}

/**
 * Serves private copies of the app and data, holding the data's manifest as this build reads it. After
 * `deploy()` (a new app), the first request for the new service worker gives the data that manifest back:
 * the new app reads the newer format, stood in for by data this build reads, once the page has asked for
 * the new worker, which only an update check does.
 */
async function siteWithDeploy(name: string) {
  const { dist, data } = copies(name);
  const manifestPath = join(data, 'manifest.json');
  const readable = readFileSync(manifestPath, 'utf8');
  let deployed = false;
  let workerFetches = 0;
  const server = await startServer({
    distDir: dist,
    dataDir: data,
    port: 0,
    onRequest: ({ path }) => {
      if (!deployed || !path.startsWith('/serviceWorker.js')) return;
      workerFetches++;
      writeFileSync(manifestPath, readable);
    },
  });
  return {
    server,
    data,
    manifest: JSON.parse(readable) as { index: { path: string } },
    /** Replaces the manifest with one this build does not read. */
    writeManifest: (m: unknown) => writeFileSync(manifestPath, JSON.stringify(m)),
    deploy: () => {
      deployNewApp(dist);
      deployed = true;
    },
    workerFetches: () => workerFetches,
  };
}

/** The page runs the deployed app (its marker) and reads the whole collection, index included, without a notice. */
async function expectNewAppWorking(page: Page, workerFetches: () => number): Promise<void> {
  await expect(page.locator(`meta[name="${DEPLOY_MARKER}"]`)).toHaveCount(1);
  expect(workerFetches()).toBeGreaterThan(0);
  await loadCollection(page);
  await page.evaluate(() => window.__lookalike!.searchClient.preloadInBackground());
  await expect(page.getByTestId('status-ready')).toBeVisible();
  for (const id of ['status-site-outdated', 'status-index-failed', 'index-error'])
    await expect(page.getByTestId(id)).toHaveCount(0);
}

/**
 * A tab on the site's app, ready offline; then the deploy (the new app, and a manifest in a format this
 * tab's app does not read) and what the page does when a thumbnail is missing: it re-reads the manifest.
 * `alongside` runs in the page meanwhile. The tab must reload once, into the new app, and work.
 */
async function expectReloadIntoNewApp(
  browser: Browser,
  name: string,
  alongside?: (page: Page) => Promise<void>,
): Promise<void> {
  const site = await siteWithDeploy(name);
  const context = await browser.newContext();
  let log: ServiceWorkerLog | undefined;
  try {
    const page = await context.newPage();
    log = await logServiceWorkers(page);
    const seen = countLoads(page);
    await page.goto(site.server.url);
    await loadCollection(page);
    await waitForOfflineReady(page);
    await expect(page.getByTestId('status-ready')).toBeVisible();
    expect(seen.loads).toBe(1);

    site.deploy();
    site.writeManifest({ ...site.manifest, version: RESIDENT_MANIFEST_VERSION + 1 });
    const during = alongside?.(page).catch(() => {}); // the reload ends it, and the next call
    await page.evaluate(() => void window.__lookalike!.searchClient.checkForUpdate().catch(() => {}));
    await during;

    await expectNewAppWorking(page, site.workerFetches);
    expect(seen.loads).toBe(2);
  } catch (err) {
    await log?.attach();
    throw err;
  } finally {
    await context.close();
    await site.server.close();
  }
}

test('a tab that meets a newer data format reloads once into the site’s new app, and works', ({ browser }) =>
  expectReloadIntoNewApp(browser, 'site-update'));

/**
 * Fetches through the page's service worker for a while from when the new one appears, at random
 * intervals: one of them can wake the old worker just as Chromium stops it for the new one, which then
 * waits for the old one's idle timeout (src/siteUpdate.ts).
 */
async function keepOldWorkerAwake(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    while (!registration?.installing && !registration?.waiting) await new Promise((r) => setTimeout(r, 5));
    const end = performance.now() + 1_500;
    while (performance.now() < end) {
      void fetch(`icon.svg?awake=${performance.now()}`).catch(() => {});
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 60));
    }
  });
}

test('a tab whose service worker is kept awake by its own fetches during the update still reloads into the new app', ({
  browser,
}) => expectReloadIntoNewApp(browser, 'site-update-awake', keepOldWorkerAwake));

test('a tab open during a deploy reloads into the new app, also when its own fetches kept the old service worker awake', async ({
  browser,
}) => {
  const site = await siteWithDeploy('site-reload');
  const context = await browser.newContext();
  let log: ServiceWorkerLog | undefined;
  try {
    const page = await context.newPage();
    log = await logServiceWorkers(page);
    await page.goto(site.server.url);
    await loadCollection(page);
    await waitForOfflineReady(page);
    site.deploy();
    // What the browser does now and then: look for a newer service worker.
    const awake = keepOldWorkerAwake(page);
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
    await awake;
    // The person reloads a few seconds later.
    await page.waitForTimeout(3_000);
    await page.reload({ timeout: E2E_EXPECT_MS }); // a lost navigation never ends
    await expect(page.locator(`meta[name="${DEPLOY_MARKER}"]`)).toHaveCount(1);
    await loadCollection(page);
  } catch (err) {
    await log?.attach();
    throw err;
  } finally {
    await context.close();
    await site.server.close();
  }
});

test('when the site’s own app cannot read its index, the page reloads once, says why, and reloads when a newer app arrives', async ({
  browser,
}) => {
  const site = await siteWithDeploy('site-outdated');
  // The index as a newer builder would write it: a version this app does not read, listed by the manifest.
  const index = readFileSync(join(site.data, site.manifest.index.path));
  index.writeUInt32LE(NEWEST_INDEX_VERSION + 1, 8);
  const path = contentAddressedName('index', 'bin', index);
  writeFileSync(join(site.data, path), index);
  site.writeManifest({ ...site.manifest, index: { ...site.manifest.index, ...fileRefFor(path, index) } });

  const context = await browser.newContext();
  let log: ServiceWorkerLog | undefined;
  try {
    const page = await context.newPage();
    log = await logServiceWorkers(page);
    const seen = countLoads(page);
    await page.goto(site.server.url);
    // Album browsing reads neighbour lists and the catalog, not the index: the page shows its albums, and
    // the background load of the index (for own-image search) meets the newer version.
    const outdated = page.getByTestId('status-site-outdated');
    await expect(outdated).toBeVisible();
    await expect(outdated).toContainText(`index format version ${NEWEST_INDEX_VERSION + 1} is newer`);
    await expect(page.getByTestId('status-index-failed')).toBeVisible();
    expect(seen.loads).toBe(2);
    // No loop: the page stays as it is.
    await page.waitForTimeout(3_000);
    expect(seen.loads).toBe(2);
    await expect(page.getByTestId('status-ready')).toBeVisible();

    // The reload may have come before the deploy stored the new app (it stores the service worker
    // last). Once it is there, an update check (the page makes one a minute after giving up; called
    // here instead of waiting) installs it, and the page reloads into it.
    site.deploy();
    await page
      .evaluate(() => navigator.serviceWorker.getRegistration().then((r) => void r?.update()))
      .catch(() => {}); // the reload may end the call
    await expectNewAppWorking(page, site.workerFetches);
    expect(seen.loads).toBe(3);
  } catch (err) {
    await log?.attach();
    throw err;
  } finally {
    await context.close();
    await site.server.close();
  }
});
