import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { isShardedManifest, parseManifest, type ShardedManifest } from '../core/manifest';
import { openDataDir } from '../index-builder/openDataDir';
import { queryById } from '../index-builder/queryDataDir';
import { startServer, type RunningServer } from '../scripts/serve';
import { listFixtureImages } from '../testing/fixtureImages';
import {
  E2E_DIST_DIR,
  E2E_SHARDED_DATA_DIR,
  FIXTURE_IMAGES_DIR,
  loadCollection,
  searchById,
  searchByImageInPage,
} from './harness';
import { waitForOfflineReady } from '../testing/pageReadiness';

/*
 * The app over a sharded data dir (index v4 range-loaded by cell, catalog in shards): the fixture's
 * 30 images with cells of 3 rows and catalog shards of 4 items (globalSetup builds it). The page goes
 * through the same UI code as for the resident layout; the expected results come from the Node reader
 * of the same data dir (`npm run query`'s openDataDir → core/openCollection.ts over local files, the
 * reader the worker opens over HTTP), not from numbers written down here.
 */

function readManifest(): ShardedManifest {
  const manifest = parseManifest(
    JSON.parse(readFileSync(join(E2E_SHARDED_DATA_DIR, 'manifest.json'), 'utf8')),
  );
  if (!isShardedManifest(manifest)) throw new Error(`${E2E_SHARDED_DATA_DIR} is not a sharded build`);
  return manifest;
}

const manifest = readManifest();
const indexPath = `/data/${manifest.index.path}`;
const openInNode = async () => (await openDataDir(E2E_SHARDED_DATA_DIR)).collection;

/** `npm run query --id`'s k nearest neighbours of an album image. */
async function expectedById(id: string, k: number): Promise<{ id: string; score: number; album: string }[]> {
  const collection = await openInNode();
  expect(collection.layout).toBe('sharded');
  const outcome = await queryById(collection, id, k);
  if (!('results' in outcome)) throw new Error(`node query failed: ${JSON.stringify(outcome)}`);
  return outcome.results;
}

/** Every request the context makes for the index file (page, its worker and the service worker). */
function logIndexRequests(context: BrowserContext): { range: string | undefined }[] {
  const seen: { range: string | undefined }[] = [];
  context.on('request', (request) => {
    if (new URL(request.url()).pathname === indexPath) seen.push({ range: request.headers()['range'] });
  });
  return seen;
}

const results = (page: Page) => page.getByTestId('result');

async function shownResults(page: Page): Promise<{ id: string; score: string; album: string }[]> {
  return results(page).evaluateAll((cards) =>
    cards.map((card) => ({
      id: card.getAttribute('data-id') ?? '',
      score: card.querySelector('[data-testid="result-score"]')?.textContent ?? '',
      album: card.querySelector('[data-testid="result-album"]')?.textContent ?? '',
    })),
  );
}

/** Serves the site with the sharded data dir, recording the Range header of every GET of the index. */
function serveSharded(indexGets: (string | undefined)[]): Promise<RunningServer> {
  return startServer({
    distDir: E2E_DIST_DIR,
    dataDir: E2E_SHARDED_DATA_DIR,
    port: 0,
    onRequest: ({ method, path, range }) => {
      if (method === 'GET' && path.split('?')[0] === indexPath) indexGets.push(range);
    },
  });
}

const BYTE_RANGE = /^bytes=\d+-\d+$/;

let server: RunningServer;
/** What the shared server saw (undefined: a whole-file GET). */
const indexGetsAtHost: (string | undefined)[] = [];

test.beforeAll(async () => {
  server = await serveSharded(indexGetsAtHost);
});

test.afterAll(async () => {
  await server?.close();
});

test('home → album → image: albums, the grid and the k results the Node reader gives, index by Range only', async ({
  page,
  context,
}) => {
  const indexRequests = logIndexRequests(context);
  await page.goto(server.url);
  await expect(page.getByTestId('album')).toHaveCount(3);
  await expect(page.getByTestId('collection-summary')).toHaveText('30 images in 3 albums');
  await expect(page.getByTestId('album').first().locator('img')).toHaveAttribute('src', /thumbs\//);
  expect(await loadCollection(page)).toMatchObject({ layout: 'sharded', count: 30 });

  await page.locator('[data-testid="album"][data-album="Google"] a').click();
  await expect(page).toHaveURL(/#\/album\/Google\?k=5$/);
  const cells = page.getByTestId('grid-cell');
  await expect(cells).toHaveCount(10);
  await expect(page.getByTestId('grid-placeholder')).toHaveCount(0);
  // The album's items, in album order, as the Node reader has them (they span several catalog shards).
  const inNode = await openInNode();
  const google = inNode.albums.find((a) => a.name === 'Google')!;
  const googleItems = await inNode.albumItems('Google', 0, google.count);
  expect(await cells.evaluateAll((els) => els.map((el) => el.getAttribute('data-id')))).toEqual(
    googleItems.map((it) => it.id),
  );

  await page.getByTestId('k-select').selectOption('7');
  const id = (await cells.nth(2).getAttribute('data-id'))!;
  await cells.nth(2).click();
  await expect(page).toHaveURL(new RegExp(`#/search/${id}\\?k=7$`));
  await expect(page.getByTestId('query-name')).toHaveText(googleItems[2].name);
  await expect(results(page)).toHaveCount(7);

  const expected = await expectedById(id, 7);
  const shown = await shownResults(page);
  expect(shown.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  expect(shown.map((r) => r.score)).toEqual(expected.map((r) => r.score.toFixed(3)));
  expect(shown.map((r) => r.album)).toEqual(expected.map((r) => r.album));
  // The worker's scores to 1e-6, and the bytes the query fetched are reported.
  const response = await searchById(page, id, 7);
  expect(response.results.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  response.results.forEach((r, i) => expect(r.score).toBeCloseTo(expected[i].score, 6));

  // The index file was only ever read in byte ranges, by the browser's account and by the host's: the
  // head on load, then the cells each query probes.
  expect(indexRequests.length).toBeGreaterThanOrEqual(2);
  for (const request of indexRequests) expect(request.range).toMatch(BYTE_RANGE);
  expect(indexRequests.some((r) => r.range === `bytes=0-${manifest.index.headBytes - 1}`)).toBe(true);
  expect(indexGetsAtHost.length).toBeGreaterThanOrEqual(2);
  for (const range of indexGetsAtHost) expect(range).toMatch(BYTE_RANGE);
});

test('unknown images and albums of a sharded collection say so', async ({ page }) => {
  await page.goto(`${server.url}#/search/0123456789ab?k=5`);
  await expect(page.getByTestId('image-not-found')).toBeVisible();
  await page.goto(`${server.url}#/search/no-such-id?k=5`);
  await expect(page.getByTestId('image-not-found')).toBeVisible();
  await page.goto(`${server.url}#/album/Nope?k=5`);
  await expect(page.getByTestId('album-not-found')).toBeVisible();
});

test('a shared result URL works in a fresh browser context without browsing first', async ({
  page,
  browser,
}) => {
  const inNode = await openInNode();
  const [query] = await inNode.albumItems(inNode.albums[2].name, 4, 1);
  const url = `${server.url}#/search/${query.id}?k=6`;
  await page.goto(url);
  await expect(results(page)).toHaveCount(6);
  const here = await shownResults(page);
  expect(here.map((r) => r.id)).toEqual((await expectedById(query.id, 6)).map((r) => r.id));

  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await other.goto(url);
    await expect(other.getByTestId('query-name')).toHaveText(query.name);
    await expect(results(other)).toHaveCount(6);
    expect(await shownResults(other)).toEqual(here);
  } finally {
    await fresh.close();
  }
});

test('own image via the file picker: searched in the browser over the range-loaded index', async ({
  page,
}) => {
  const image = listFixtureImages(FIXTURE_IMAGES_DIR).find(
    (f) => f.album === 'Twitter' && f.emoji === 'joy',
  )!;
  const inNode = await openInNode();
  const twitter = inNode.albums.find((a) => a.name === 'Twitter')!;
  const itself = (await inNode.albumItems('Twitter', 0, twitter.count)).find((it) => it.name === 'joy.png')!;
  await page.goto(server.url);
  await expect(page.getByTestId('album')).toHaveCount(3);
  await page.getByTestId('own-image-input').setInputFiles(image.path);
  await expect(page).toHaveURL(/#\/search\/upload\?k=5$/);
  await expect(page.getByTestId('query-name')).toHaveText('joy.png');
  await expect(results(page)).toHaveCount(5);
  // The image is in the collection, so the browser's own featurization must find it first.
  await expect.poll(async () => (await shownResults(page))[0]?.id).toBe(itself.id);
});

test('after one search online, the same search works offline after a reload', async ({ browser }) => {
  // Its own origin (fresh service worker and IndexedDB), which this test takes off the network.
  const indexGets: (string | undefined)[] = [];
  const own = await serveSharded(indexGets);
  const context = await browser.newContext();
  try {
    const inNode = await openInNode();
    const [query] = await inNode.albumItems(inNode.albums[0].name, 7, 1);
    const page = await context.newPage();
    await page.goto(`${own.url}#/search/${query.id}?k=5`);
    await expect(results(page)).toHaveCount(5);
    const online = await shownResults(page);
    expect(online.map((r) => r.id)).toEqual((await expectedById(query.id, 5)).map((r) => r.id));
    await waitForOfflineReady(page);
    expect(indexGets.length).toBeGreaterThanOrEqual(2);
    for (const range of indexGets) expect(range).toMatch(BYTE_RANGE);

    await own.close();
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByTestId('query-name')).toHaveText(query.name);
    await expect(results(page)).toHaveCount(5);
    expect(await shownResults(page)).toEqual(online);
    const info = await loadCollection(page);
    expect(info).toMatchObject({ layout: 'sharded', fromCache: true, fetchedBytes: 0 });
    const again = await searchById(page, query.id, 5);
    expect(again.fetchedBytes).toBe(0);
  } finally {
    await context.close();
    await own.close();
  }
});

test('a result clicked online, and own-image search, work offline after a reload', async ({ browser }) => {
  // A result's item came with the cells, so opening it needed no id shard: unless the page keeps that
  // shard, the reload offline cannot find the image. The transform is kept like the cells.
  const own = await serveSharded([]);
  const context = await browser.newContext();
  try {
    const inNode = await openInNode();
    const album = inNode.albums[1].name;
    const page = await context.newPage();
    // From an album page, as people browse: neither image is ever looked up by its id shard online.
    await page.goto(`${own.url}#/album/${encodeURIComponent(album)}?k=5`);
    await page.getByTestId('grid-cell').nth(3).click();
    await expect(results(page)).toHaveCount(5);
    const clicked = (await shownResults(page))[2];
    await results(page).nth(2).locator('a').click();
    await expect(page).toHaveURL(new RegExp(`#/search/${clicked.id}\\?`));
    await expect(results(page)).toHaveCount(5);
    const online = await shownResults(page);
    expect(online.map((r) => r.id)).toEqual((await expectedById(clicked.id, 5)).map((r) => r.id));
    const ownImage = listFixtureImages(FIXTURE_IMAGES_DIR)[4];
    const ownOnline = await searchByImageInPage(page, readFileSync(ownImage.path), 5);
    await waitForOfflineReady(page);

    await own.close();
    await context.setOffline(true);
    await page.reload();
    await expect(results(page)).toHaveCount(5);
    expect(await shownResults(page)).toEqual(online);
    const ownOffline = await searchByImageInPage(page, readFileSync(ownImage.path), 5);
    expect(ownOffline.results.map((r) => r.item.id)).toEqual(ownOnline.results.map((r) => r.item.id));
  } finally {
    await context.close();
    await own.close();
  }
});
