import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import sharp from 'sharp';
import { formatRegion } from '../core/imageRegion';
import { loadDataDir } from '../testing/loadDataDir';
import { runCli } from '../testing/builderCli';
import { parseHash } from '../src/routing/route';
import { listFixtureImages } from '../testing/fixtureImages';
import { E2E_DATA_DIR, FIXTURE_IMAGES_DIR, serverUrl } from './harness';

/*
 * Search by region (issue 14 item 3): a box drawn on the query image — by mouse or by keyboard alone —
 * is searched in the browser, lands in the URL, survives a reload and a shared link, and gives what
 * `npm run query --region` gives on the same data dir (the crop arithmetic is core/imageRegion.ts in both).
 */

const K = 5;
/**
 * Scores are shown with three decimals, and the browser's pixels differ from sharp's in the last bits
 * (the canvas premultiplies alpha, and the emoji's edges are translucent): measured differences ≤ 0.004.
 */
const SCORE_TOLERANCE = 0.01;

interface Shown {
  id: string;
  score: number;
}
interface NodeResult {
  id: string;
  score: number;
}

/** What `npm run query -- --data-dir <e2e data> --json --k K …` prints for one query. */
async function nodeQuery(args: string[]): Promise<NodeResult[]> {
  const run = await runCli('queryCli.ts', ['--data-dir', E2E_DATA_DIR, '--json', '--k', String(K), ...args]);
  if (run.code !== 0) throw new Error(`query CLI failed (${run.code}): ${run.stderr}\n${run.stdout}`);
  const outcome = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    results?: NodeResult[];
    error?: string;
  };
  if (!outcome.results) throw new Error(`query CLI: ${outcome.error}`);
  return outcome.results;
}

async function shownResults(page: Page): Promise<Shown[]> {
  await expect(page.getByTestId('result')).toHaveCount(K);
  // The list is marked busy while a newer search runs; read it once it has settled.
  await expect(page.getByTestId('results')).not.toHaveAttribute('aria-busy', 'true');
  return page.getByTestId('result').evaluateAll((cards) =>
    cards.map((card) => ({
      id: card.getAttribute('data-id') ?? '',
      score: Number(card.querySelector('[data-testid="result-score"]')?.textContent),
    })),
  );
}

/** The results on the page are Node's: same ids in the same order, scores within the tolerance. */
async function expectResults(page: Page, expected: NodeResult[]): Promise<void> {
  await expect
    .poll(async () => (await shownResults(page)).map((r) => r.id), { message: 'result ids and order' })
    .toEqual(expected.map((r) => r.id));
  const shown = await shownResults(page);
  shown.forEach((r, i) => expect(Math.abs(r.score - expected[i].score)).toBeLessThanOrEqual(SCORE_TOLERANCE));
}

/** The region= of the page's URL, as the app reads it. */
function urlRegion(page: Page): string {
  const route = parseHash(new URL(page.url()).hash);
  if (route.page !== 'search' || !route.region) throw new Error(`no region in ${page.url()}`);
  return formatRegion(route.region);
}

/** Drags a box over the query image with the mouse, between two points given in fractions of the image. */
async function drawWithMouse(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const layer = page.getByTestId('region-layer');
  const box = (await layer.boundingBox())!;
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(from));
  await page.mouse.down();
  await page.mouse.move(...at(to), { steps: 6 });
  await page.mouse.up();
}

/** What the page says a search took ("found in N ms": featurize + search in the worker). */
async function reportedSearchMs(page: Page): Promise<string> {
  const summary = (await page.getByTestId('result-summary').textContent()) ?? '';
  return /found in (\S+) ms/.exec(summary)?.[1] ?? '?';
}

async function expectSharedLinkGives(browser: Browser, url: string, expected: NodeResult[]): Promise<void> {
  const fresh = await browser.newContext();
  try {
    const shared = await fresh.newPage();
    await shared.goto(url);
    await expect(shared.getByTestId('region-box')).toBeVisible();
    await expectResults(shared, expected);
  } finally {
    await fresh.close();
  }
}

let albumImageId: string;

test.beforeAll(async () => {
  const data = await loadDataDir(E2E_DATA_DIR);
  albumImageId = data.catalog.items[0].id;
});

test('a box drawn with the mouse on an album image searches its original’s region like npm run query --region, and survives a reload and a shared link', async ({
  page,
  browser,
}) => {
  await page.goto(`${serverUrl()}#/search/${albumImageId}?k=${K}`);
  const whole = await nodeQuery(['--id', albumImageId]);
  await expectResults(page, whole);
  await expect(page.getByTestId('region-status')).toContainText('Searching the whole image');

  await drawWithMouse(page, [0.1, 0.45], [0.85, 0.95]);
  await expect(page).toHaveURL(/&region=[\d.]+,[\d.]+,[\d.]+,[\d.]+$/);
  const region = urlRegion(page);
  const expected = await nodeQuery(['--region', region, '--id', albumImageId]);
  // The region is a different query: had Node given the same results, this test could not tell.
  expect(expected.map((r) => [r.id, r.score.toFixed(3)])).not.toEqual(
    whole.map((r) => [r.id, r.score.toFixed(3)]),
  );
  await expectResults(page, expected);
  await expect(page.getByTestId('region-box')).toBeVisible();
  await expect(page.getByTestId('region-handle')).toBeVisible();
  await expect(page.getByTestId('region-status')).toContainText('Searching only the box');
  await expect(page.getByTestId('region-crop')).toContainText(
    /^Searched \d+×\d+ px of the original \(\d+×\d+\)\.$/,
  );
  console.log(
    `region search of an album image (${region}): ${await reportedSearchMs(page)} ms in the worker`,
  );

  await page.reload();
  await expectResults(page, expected);
  console.log(`the same after a reload: ${await reportedSearchMs(page)} ms in the worker`);
  await expect(page.getByTestId('region-box')).toBeVisible();
  await expectSharedLinkGives(browser, page.url(), expected);

  // Clearing the region is the normal search again.
  await page.getByTestId('region-clear').click();
  await expect(page).toHaveURL(new RegExp(`#/search/${albumImageId}\\?k=${K}$`));
  await expect(page.getByTestId('region-box')).toHaveCount(0);
  await expectResults(page, whole);
});

test('the handle resizes the box and a drag inside it moves it, each a new search', async ({ page }) => {
  // Each box is cut from the original decoded once, not fetched and decoded again.
  const originalFetches: string[] = [];
  page.on('request', (r) => {
    if (r.resourceType() === 'fetch' && r.url().includes('/data/originals/')) originalFetches.push(r.url());
  });
  await page.goto(`${serverUrl()}#/search/${albumImageId}?k=${K}&region=0.1,0.1,0.5,0.5`);
  await expect(page.getByTestId('region-box')).toBeVisible();
  const handle = (await page.getByTestId('region-handle').boundingBox())!;
  const layer = (await page.getByTestId('region-layer').boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(layer.x + 0.8 * layer.width, layer.y + 0.7 * layer.height, { steps: 4 });
  await page.mouse.up();
  // Anchored at the top-left corner, the far corner follows the pointer (to within a pixel).
  await expect(page).toHaveURL(/&region=0\.1,0\.1,0\.(69|7)\d*,0\.(59|6)\d*$/);
  await expectResults(page, await nodeQuery(['--region', urlRegion(page), '--id', albumImageId]));

  await drawWithMouse(page, [0.3, 0.3], [0.4, 0.35]); // inside the box: moves it by (0.1, 0.05)
  await expect(page).toHaveURL(/&region=0\.(19|2)\d*,0\.1[45]\d*,0\.(69|7)\d*,0\.(59|6)\d*$/);
  await expectResults(page, await nodeQuery(['--region', urlRegion(page), '--id', albumImageId]));
  expect(originalFetches).toHaveLength(1);
});

test('keyboard only: "Search a region", arrows move, Shift+arrows resize, Enter searches, Escape cancels', async ({
  page,
}) => {
  await page.goto(`${serverUrl()}#/search/${albumImageId}?k=${K}`);
  await expect(page.getByTestId('result')).toHaveCount(K);
  const toggle = page.getByTestId('region-toggle');
  for (let i = 0; i < 40 && !(await toggle.evaluate((el) => el === document.activeElement)); i++)
    await page.keyboard.press('Tab');
  await expect(toggle).toBeFocused();
  await expect(toggle).toHaveAccessibleName('Search a region');

  await page.keyboard.press('Enter');
  const layer = page.getByTestId('region-layer');
  await expect(layer).toBeFocused();
  await expect(layer).toHaveAccessibleName(/^Region of .+ to search$/);
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('region-status')).toContainText('Box: 50 % × 50 % of the image');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  for (let i = 0; i < 2; i++) await page.keyboard.press('Shift+ArrowDown');
  await expect(page.getByTestId('region-status')).toContainText(
    '50 % × 54 % of the image, 31 % from the left',
  );
  await page.keyboard.press('Enter');
  // The default box is the middle quarter; each key press is 2 % of the image.
  await expect(page).toHaveURL(/&region=0\.31,0\.25,0\.5,0\.54$/);
  await expect(toggle).toBeFocused();
  await expectResults(page, await nodeQuery(['--region', '0.31,0.25,0.5,0.54', '--id', albumImageId]));

  // Escape leaves the searched region as it was.
  await page.keyboard.press('Enter');
  await expect(layer).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Escape');
  await expect(toggle).toBeFocused();
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await expect(page).toHaveURL(/&region=0\.31,0\.25,0\.5,0\.54$/);
  await expect(page.getByTestId('region-status')).toContainText('Searching only the box: 50 % × 54 %');
});

test('a region of the person’s own image is searched like npm run query --region on the file', async ({
  page,
}) => {
  const image = listFixtureImages(FIXTURE_IMAGES_DIR).find((f) => f.album === 'Google')!;
  await page.goto(serverUrl());
  await expect(page.getByTestId('album')).toHaveCount(3);
  await page.getByTestId('own-image-input').setInputFiles(image.path);
  await expect(page).toHaveURL(/#\/search\/upload\?k=5$/);
  await expectResults(page, await nodeQuery([image.path]));

  await drawWithMouse(page, [0.05, 0.05], [0.6, 0.55]);
  await expect(page).toHaveURL(/#\/search\/upload\?k=5&region=/);
  const region = urlRegion(page);
  await expectResults(page, await nodeQuery(['--region', region, image.path]));
  console.log(`region search of an own image (${region}): ${await reportedSearchMs(page)} ms in the worker`);
});

for (const orientation of [6, 8]) {
  test(`a region of a portrait phone photo (EXIF orientation ${orientation}) is searched like npm run query --region`, async ({
    page,
  }) => {
    // Four emoji in the quadrants of an upright 1200 × 1800 photo, stored turned with the EXIF tag that
    // turns it back, as a phone stores a portrait shot. The region is the lower-left emoji.
    const [a, b, c, d] = listFixtureImages(FIXTURE_IMAGES_DIR).filter((f) => f.album === 'Google');
    const tile = (path: string) =>
      sharp(path).resize(600, 900, { fit: 'fill' }).flatten({ background: '#fff' }).png().toBuffer();
    const upright = await sharp({ create: { width: 1200, height: 1800, channels: 3, background: '#fff' } })
      .composite([
        { input: await tile(a.path), left: 0, top: 0 },
        { input: await tile(b.path), left: 600, top: 0 },
        { input: await tile(c.path), left: 0, top: 900 },
        { input: await tile(d.path), left: 600, top: 900 },
      ])
      .png()
      .toBuffer();
    // Orientation 6 is shown turned 90° clockwise, 8 turned 90° anticlockwise: stored the other way.
    const stored = await sharp(upright)
      .rotate(orientation === 6 ? 270 : 90)
      .jpeg({ quality: 92 })
      .withMetadata({ orientation })
      .toBuffer();
    const file = join(mkdtempSync(join(tmpdir(), 'region-exif-')), `portrait-${orientation}.jpg`);
    writeFileSync(file, stored);
    const region = '0.05,0.55,0.4,0.4';

    await page.goto(serverUrl());
    await expect(page.getByTestId('album')).toHaveCount(3);
    await page.getByTestId('own-image-input').setInputFiles(file);
    await expect(page).toHaveURL(/#\/search\/upload\?k=5$/);
    // (The whole collage is a mix of four emoji whose scores nearly tie: only its region is compared.)
    await expect(page.getByTestId('result')).toHaveCount(K);
    await page.evaluate((hash) => (location.hash = hash), `#/search/upload?k=${K}&region=${region}`);
    await expectResults(page, await nodeQuery(['--region', region, file]));
  });
}

test('touch: a finger scrolls past the image until "Search a region" is on, then draws a box', async ({
  browser,
}) => {
  const context = await browser.newContext({ hasTouch: true, viewport: { width: 480, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(`${serverUrl()}#/search/${albumImageId}?k=${K}`);
    await expect(page.getByTestId('result')).toHaveCount(K);
    const cdp = await context.newCDPSession(page);
    const swipe = async (from: [number, number], to: [number, number]) => {
      const box = (await page.getByTestId('region-layer').boundingBox())!;
      const at = ([fx, fy]: [number, number]) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height });
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(from)] });
      for (let i = 1; i <= 5; i++) {
        const p: [number, number] = [
          from[0] + ((to[0] - from[0]) * i) / 5,
          from[1] + ((to[1] - from[1]) * i) / 5,
        ];
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(p)] });
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    };
    await swipe([0.2, 0.2], [0.7, 0.8]);
    await expect(page).not.toHaveURL(/region=/);
    await expect(page.getByTestId('region-box')).toHaveCount(0);

    await page.getByTestId('region-toggle').tap();
    await swipe([0.2, 0.2], [0.7, 0.8]);
    await expect(page).toHaveURL(/&region=/);
    await expectResults(page, await nodeQuery(['--region', urlRegion(page), '--id', albumImageId]));
  } finally {
    await context.close();
  }
});

test('an original the browser cannot decode: the thumbnail is cut instead, and the page says so; nothing usable: a clear error', async ({
  browser,
}) => {
  // Blocked service worker, so page.route sees every request for the data dir's files.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    const notAnImage = { status: 200, contentType: 'image/png', body: 'these bytes are no image' };
    await page.route('**/data/originals/**', (route) => route.fulfill(notAnImage));
    await page.goto(`${serverUrl()}#/search/${albumImageId}?k=${K}&region=0.1,0.1,0.6,0.6`);
    await expect(page.getByTestId('region-crop')).toContainText(
      /Searched \d+×\d+ px of the thumbnail .*the original could not be used \(its contents are not an image this browser can read\)/,
    );
    await expect(page.getByTestId('result')).toHaveCount(K);

    await page.route('**/data/thumbs/**', (route) => route.fulfill({ status: 404, body: '' }));
    await page.goto(`${serverUrl()}#/search/${albumImageId}?k=${K}&region=0.2,0.1,0.6,0.6`);
    await expect(page.getByTestId('search-error')).toContainText(
      /The region could not be cut from the image: the original could not be used \(.+\); the thumbnail could not be used \(HTTP 404/,
    );
  } finally {
    await context.close();
  }
});

test('a malformed region in a link is ignored: the whole image is searched', async ({ page }) => {
  await page.goto(`${serverUrl()}#/search/${albumImageId}?k=${K}&region=0.5,abc,-1,2`);
  await expectResults(page, await nodeQuery(['--id', albumImageId]));
  await expect(page.getByTestId('region-box')).toHaveCount(0);
});
