import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import sharp from 'sharp';
import { gifClaimingSize, pngClaimingSize } from '../testing/builderFixtures';
import { bmpClaimingSize, gifFrameBeyondScreen, jpegBehindMetadata } from '../testing/imageBombs';
import { listFixtureImages, type FixtureImage } from '../testing/fixtureImages';
import { E2E_DATA_DIR, FIXTURE_IMAGES_DIR, serverUrl } from './harness';
import { REPO_ROOT } from '../testing/repoRoot';

/*
 * The UI flows a person goes through, against the production build and the fixture collection
 * (3 albums × 10 smileys). Expected results come from the Node query CLI over the same data dir, so the
 * page must agree with the builder's own search rather than with numbers written down here.
 */

interface CliResult {
  id: string;
  album: string;
  name: string;
  score: number;
}

/** `npm run query -- --data-dir <fixture data dir> --json …`: the results of the one query asked. */
function cliQuery(args: string[]): CliResult[] {
  const run = spawnSync(
    'npm',
    ['run', '--silent', 'query', '--', '--data-dir', E2E_DATA_DIR, '--json', ...args],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`query CLI failed (${run.status}): ${run.stderr}\n${run.stdout}`);
  const line = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (!line) throw new Error(`query CLI printed no JSON: ${run.stdout}`);
  const outcome = JSON.parse(line) as { results?: CliResult[]; error?: string };
  if (!outcome.results) throw new Error(`query CLI: ${outcome.error}`);
  return outcome.results;
}

function fixture(album: string, emoji: string): FixtureImage {
  const image = listFixtureImages(FIXTURE_IMAGES_DIR).find((f) => f.album === album && f.emoji === emoji);
  if (!image) throw new Error(`no fixture image ${album}/${emoji}`);
  return image;
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

async function openHome(page: Page): Promise<void> {
  await page.goto(serverUrl());
  await expect(page.getByTestId('album')).toHaveCount(3);
}

test('home → album → k = 7 → image: the 7 results the query CLI gives, with scores and albums', async ({
  page,
}) => {
  await openHome(page);
  await expect(page.getByTestId('album').first().locator('img')).toHaveAttribute('alt', /^Cover of /);

  await page.locator('[data-testid="album"][data-album="Google"] a').click();
  await expect(page).toHaveURL(/#\/album\/Google\?k=5$/);
  await expect(page.getByTestId('grid-cell')).toHaveCount(10);

  await page.getByTestId('k-select').selectOption('7');
  await expect(page).toHaveURL(/#\/album\/Google\?k=7$/);

  const cell = page.getByTestId('grid-cell').nth(2);
  const id = await cell.getAttribute('data-id');
  expect(id).toBeTruthy();
  await cell.click();
  await expect(page).toHaveURL(new RegExp(`#/search/${id}\\?k=7$`));
  await expect(results(page)).toHaveCount(7);
  await expect(page.getByTestId('query-image').locator('img')).toHaveAttribute('src', /originals\//);

  const expected = cliQuery(['--k', '7', '--id', id!]);
  const shown = await shownResults(page);
  expect(shown.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  expect(shown.map((r) => r.score)).toEqual(expected.map((r) => r.score.toFixed(3)));
  expect(shown.map((r) => r.album)).toEqual(expected.map((r) => r.album));
  for (const r of shown) expect(r.score).toMatch(/^-?\d\.\d{3}$/);

  // A result is itself a query: opening it searches from it, keeping k.
  const next = expected[0].id;
  await results(page).first().locator('a').click();
  await expect(page).toHaveURL(new RegExp(`#/search/${next}\\?k=7$`));
  const expectedNext = cliQuery(['--k', '7', '--id', next]).map((r) => r.id);
  await expect.poll(async () => (await shownResults(page)).map((r) => r.id)).toEqual(expectedNext);
});

test('changing k on a result page searches again and keeps k in the URL', async ({ page }) => {
  await openHome(page);
  await page.locator('[data-testid="album"][data-album="Apple"] a').click();
  const first = page.getByTestId('grid-cell').first();
  const firstId = (await first.getAttribute('data-id'))!;
  await first.click();
  await expect(results(page)).toHaveCount(5);
  await page.getByTestId('k-select').selectOption('3');
  await expect(page).toHaveURL(new RegExp(`#/search/${firstId}\\?k=3$`));
  await expect(results(page)).toHaveCount(3);
  const expected = cliQuery(['--k', '3', '--id', firstId]).map((r) => r.id);
  expect((await shownResults(page)).map((r) => r.id)).toEqual(expected);
});

test('the k chosen on a result page stays chosen on Back and Forward and for the next image; a link’s own k still opens', async ({
  page,
}) => {
  await openHome(page);
  await page.locator('[data-testid="album"][data-album="Google"] a').click();
  await expect(page).toHaveURL(/#\/album\/Google\?k=5$/);
  const cells = page.getByTestId('grid-cell');
  const firstId = (await cells.first().getAttribute('data-id'))!;
  await cells.first().click();
  await expect(results(page)).toHaveCount(5);
  await page.getByTestId('k-select').selectOption('10');
  await expect(results(page)).toHaveCount(10);

  // Before, the album's history entry kept k=5: its URL, its selector and the next image all said 5.
  await page.goBack();
  await expect(page).toHaveURL(/#\/album\/Google\?k=10$/);
  await expect(page.getByTestId('k-select')).toHaveValue('10');
  await page.goForward();
  await expect(page).toHaveURL(new RegExp(`#/search/${firstId}\\?k=10$`));
  await expect(results(page)).toHaveCount(10);
  await page.goBack();
  const nextId = (await cells.nth(1).getAttribute('data-id'))!;
  await cells.nth(1).click();
  await expect(page).toHaveURL(new RegExp(`#/search/${nextId}\\?k=10$`));
  await expect(results(page)).toHaveCount(10);

  // A link with its own k, opened in the same tab, is someone's choice too: it opens with its k, and
  // keeps it when Back and Forward come back to it, as no k was chosen since.
  await page.goto(`${serverUrl()}#/search/${firstId}?k=3`);
  await expect(results(page)).toHaveCount(3);
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`#/search/${nextId}\\?k=10$`));
  await page.goForward();
  await expect(page).toHaveURL(new RegExp(`#/search/${firstId}\\?k=3$`));
  await expect(results(page)).toHaveCount(3);
});

test('the grid is keyboard navigable: arrows move focus, Enter opens the image', async ({ page }) => {
  await openHome(page);
  await page.locator('[data-testid="album"][data-album="Twitter"] a').click();
  const cells = page.getByTestId('grid-cell');
  await expect(cells).toHaveCount(10);
  // Exactly one cell is in the tab order.
  await expect(page.locator('[data-testid="grid-cell"][tabindex="0"]')).toHaveCount(1);
  await cells.first().focus();
  await page.keyboard.press('ArrowRight');
  await expect(cells.nth(1)).toBeFocused();
  await page.keyboard.press('End');
  await expect(cells.nth(9)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(cells.nth(0)).toBeFocused();
  await page.keyboard.press('ArrowRight');
  const id = await cells.nth(1).getAttribute('data-id');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/search/${id}\\?k=5$`));
  await expect(results(page)).toHaveCount(5);
});

test('own image via the file picker: shown from memory, searched in the browser', async ({ page }) => {
  const image = fixture('Twitter', 'joy');
  const expectedTop = cliQuery(['--k', '5', image.path])[0];
  await openHome(page);
  await page.getByTestId('own-image-input').setInputFiles(image.path);
  await expect(page).toHaveURL(/#\/search\/upload\?k=5$/);
  await expect(page.getByTestId('query-image').locator('img')).toHaveAttribute('src', /^blob:/);
  await expect(page.getByTestId('query-name')).toHaveText('joy.png');
  await expect(results(page)).toHaveCount(5);
  // The image is in the collection, so the browser's own featurization must find it first.
  await expect.poll(async () => (await shownResults(page))[0]?.id).toBe(expectedTop.id);
  expect(expectedTop.album).toBe('Twitter');

  // The pixels are kept in memory, so a new k searches again without asking for the file.
  await page.getByTestId('k-select').selectOption('2');
  await expect(page).toHaveURL(/#\/search\/upload\?k=2$/);
  await expect(results(page)).toHaveCount(2);
  expect((await shownResults(page))[0].id).toBe(expectedTop.id);
});

test('own image via drag and drop and via paste', async ({ page }) => {
  const dropped = fixture('Apple', 'joy');
  const pasted = fixture('Google', 'grin');
  const expectedDropTop = cliQuery(['--k', '5', dropped.path])[0].id;
  const expectedPasteTop = cliQuery(['--k', '5', pasted.path])[0].id;
  await openHome(page);

  const transfer = (path: string, name: string) => ({ base64: readFileSync(path).toString('base64'), name });
  await page.evaluate(
    ({ base64, name }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type: 'image/png' }));
      (window as unknown as { __drop: DataTransfer }).__drop = data;
      document.body.dispatchEvent(new DragEvent('dragenter', { dataTransfer: data, bubbles: true }));
      document.body.dispatchEvent(
        new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }),
      );
    },
    transfer(dropped.path, 'dropped-joy.png'),
  );
  await expect(page.getByTestId('drop-overlay')).toBeVisible();
  await page.evaluate(() => {
    const data = (window as unknown as { __drop: DataTransfer }).__drop;
    document.body.dispatchEvent(
      new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }),
    );
  });
  await expect(page.getByTestId('drop-overlay')).toHaveCount(0);
  await expect(page).toHaveURL(/#\/search\/upload\?k=5$/);
  await expect(page.getByTestId('query-name')).toHaveText('dropped-joy.png');
  await expect.poll(async () => (await shownResults(page))[0]?.id).toBe(expectedDropTop);

  await page.evaluate(
    ({ base64, name }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type: 'image/png' }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
    },
    transfer(pasted.path, 'pasted-grin.png'),
  );
  await expect(page.getByTestId('query-name')).toHaveText('pasted-grin.png');
  await expect.poll(async () => (await shownResults(page))[0]?.id).toBe(expectedPasteTop);
});

test('the image picked last is searched, though an earlier, larger one finishes decoding after it', async ({
  page,
}) => {
  await openHome(page);
  // 81 megapixels of one colour: a small file that takes the page a while to decode.
  const big = await sharp({ create: { width: 9000, height: 9000, channels: 3, background: '#3a7' } })
    .png()
    .toBuffer();
  const decodeMs = await page.evaluate(async (bytes) => {
    const t = performance.now();
    await window.__lookalike!.decodeImage(new Blob([new Uint8Array(bytes)]));
    return performance.now() - t;
  }, Array.from(big));
  const pasted = fixture('Google', 'grin');
  const expected = cliQuery(['--k', '5', pasted.path])[0].id;

  await page
    .getByTestId('own-image-input')
    .setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big });
  await page.evaluate((base64) => {
    const data = new DataTransfer();
    data.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'pasted-grin.png'));
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
  }, readFileSync(pasted.path).toString('base64'));
  await expect(page.getByTestId('query-name')).toHaveText('pasted-grin.png');
  // Long after the first image's decode (measured above) has ended: still the pasted image's results.
  await page.waitForTimeout(3 * decodeMs + 1000);
  await expect(page.getByTestId('query-name')).toHaveText('pasted-grin.png');
  await expect.poll(async () => (await shownResults(page))[0]?.id).toBe(expected);
  await expect(page.getByTestId('own-image-button')).toBeEnabled();
});

test('an SVG drawing is searched as an image, as the builder indexes one', async ({ page }) => {
  // The fixture emoji drawn by an SVG that embeds it: the drawing is that emoji, so it finds it first.
  const image = fixture('Twitter', 'joy');
  const expectedTop = cliQuery(['--k', '3', image.path])[0];
  const png = readFileSync(image.path).toString('base64');
  const svg =
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="72" height="72" viewBox="0 0 72 72">' +
    `<image href="data:image/png;base64,${png}" width="72" height="72"/></svg>`;
  await openHome(page);
  // No type from the name: the file is told by its contents, as the builder tells one.
  await page
    .getByTestId('own-image-input')
    .setInputFiles({ name: 'joy drawing', mimeType: '', buffer: Buffer.from(svg) });
  await expect(page).toHaveURL(/#\/search\/upload\?k=5$/);
  await expect(page.getByTestId('query-name')).toHaveText('joy drawing');
  await expect.poll(async () => (await shownResults(page))[0]?.id).toBe(expectedTop.id);
});

test('a broken file gives a clear message and the app keeps working', async ({ page }) => {
  await openHome(page);
  await page.getByTestId('own-image-input').setInputFiles({
    name: 'broken.png',
    mimeType: 'image/png',
    buffer: Buffer.from('this is not a PNG file'),
  });
  await expect(page.getByTestId('image-error')).toContainText(
    "Couldn't read broken.png: its contents are not an image this browser can read",
  );
  await expect(page).not.toHaveURL(/upload/);
  await expect(page.getByTestId('album')).toHaveCount(3);

  // Headers declaring more than 100 megapixels, as `npm run query` refuses them: refused before decoding
  // (a 35-byte GIF of a 16,000² screen took Chromium 3 s and 1.5 GB to decode), with the size named.
  await page
    .getByTestId('own-image-input')
    .setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: pngClaimingSize(30_000, 30_000) });
  await expect(page.getByTestId('image-error')).toContainText(
    'the image is 30000 × 30000 px (900 megapixels): more than the 100 megapixels an image may have',
  );
  await page
    .getByTestId('own-image-input')
    .setInputFiles({ name: 'screen.gif', mimeType: 'image/gif', buffer: gifClaimingSize(16_000, 16_000) });
  await expect(page.getByTestId('image-error')).toContainText(
    'the image is 16000 × 16000 px (256 megapixels): more than the 100 megapixels an image may have',
  );
  // Bombs whose size lies past the first 256 KB, in a format the page did not read, or in a first
  // frame larger than the GIF's screen: each took Chromium about 1.5 GB before.
  // Each declares another size, so that each message is the new file's.
  const bombs = [
    { name: 'behind-metadata.jpg', mimeType: 'image/jpeg', buffer: await jpegBehindMetadata(20_000, 20_001) },
    { name: 'rle.bmp', mimeType: 'image/bmp', buffer: bmpClaimingSize(20_000, 20_002) },
    { name: 'frame.gif', mimeType: 'image/gif', buffer: gifFrameBeyondScreen(20_000, 20_003) },
  ];
  for (const [i, bomb] of bombs.entries()) {
    await page.getByTestId('own-image-input').setInputFiles(bomb);
    await expect(page.getByTestId('image-error')).toContainText(
      `the image is 20000 × ${20_001 + i} px (400 megapixels): more than the 100 megapixels an image may have`,
    );
  }
  // A real header over damaged data: said as the query CLI says it.
  const cut = readFileSync(fixture('Apple', 'grin').path).subarray(0, 300);
  await page
    .getByTestId('own-image-input')
    .setInputFiles({ name: 'cut.png', mimeType: 'image/png', buffer: cut });
  await expect(page.getByTestId('image-error')).toContainText('the PNG data is truncated or corrupt');

  await page.locator('[data-testid="album"][data-album="Apple"] a').click();
  await expect(page.getByTestId('grid-cell')).toHaveCount(10);
  await page.getByTestId('own-image-input').setInputFiles(fixture('Apple', 'grin').path);
  await expect(page).toHaveURL(/#\/search\/upload\?k=5$/);
  await expect(results(page)).toHaveCount(5);
  await expect(page.getByTestId('image-error')).toHaveCount(0);
});

test('a shared result URL gives the same results in a fresh browser', async ({ page, browser }) => {
  await openHome(page);
  await page.locator('[data-testid="album"][data-album="Twitter"] a').click();
  await page.getByTestId('k-select').selectOption('6');
  await page.getByTestId('grid-cell').nth(4).click();
  await expect(results(page)).toHaveCount(6);
  const url = page.url();
  const here = await shownResults(page);

  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await other.goto(url);
    await expect(results(other)).toHaveCount(6);
    expect(await shownResults(other)).toEqual(here);
  } finally {
    await fresh.close();
  }
});

test('an own-image URL opened without the image asks for it again', async ({ page }) => {
  await page.goto(`${serverUrl()}#/search/upload?k=5`);
  await expect(page.getByTestId('upload-missing')).toBeVisible();
  await expect(page.getByTestId('own-image-button')).toBeEnabled();
});

test('unknown albums, images and pages say so', async ({ page }) => {
  await page.goto(`${serverUrl()}#/search/no-such-id?k=5`);
  await expect(page.getByTestId('image-not-found')).toContainText('No image with id “no-such-id”');
  // A crafted link's words are not repeated on the page as if the site said them.
  const crafted = encodeURIComponent('x” does not exist. Your account is locked: call +1 555 0100. “');
  await page.goto(`${serverUrl()}#/search/${crafted}?k=5`);
  await expect(page.getByTestId('image-not-found')).toContainText('The image this link names');
  await expect(page.getByTestId('image-not-found')).not.toContainText('locked');
  await page.goto(`${serverUrl()}#/album/Nope?k=5`);
  await expect(page.getByTestId('album-not-found')).toBeVisible();
  await page.goto(`${serverUrl()}#/elsewhere`);
  await expect(page.getByTestId('page-not-found')).toBeVisible();
});

test.describe('failures of the data dir', () => {
  // A fresh context without the service worker, so routes see every request the worker makes.
  test.use({ serviceWorkers: 'block' });

  test('a missing index (404) is explained, and "Try again" recovers', async ({ page }) => {
    await page.route('**/data/manifest.json', (route) =>
      route.fulfill({ status: 404, body: 'not found', contentType: 'text/plain' }),
    );
    await page.goto(serverUrl());
    await expect(page.getByTestId('index-error')).toContainText('404');
    await page.unroute('**/data/manifest.json');
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByTestId('album')).toHaveCount(3);
  });

  test('a search whose neighbour list could not be fetched runs again with "Try again"', async ({ page }) => {
    await page.route('**/data/neighbours.*/**', (route) => route.abort('internetdisconnected'));
    await page.goto(serverUrl());
    await page.locator('[data-testid="album"][data-album="Apple"] a').click();
    await page.getByTestId('grid-cell').first().click();
    await expect(page.getByTestId('search-error')).toContainText('neighbours.');
    await page.unroute('**/data/neighbours.*/**');
    // Before, the panel had no way forward: only leaving the page and coming back searched again.
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect(results(page)).toHaveCount(5);
  });

  test('a search that failed while offline runs again by itself once the browser is back online', async ({
    page,
    context,
  }) => {
    await page.route('**/data/neighbours.*/**', (route) => route.abort('internetdisconnected'));
    await page.goto(serverUrl());
    await page.locator('[data-testid="album"][data-album="Apple"] a').click();
    await page.getByTestId('grid-cell').first().click();
    await expect(page.getByTestId('search-error')).toBeVisible();
    await context.setOffline(true);
    await page.unroute('**/data/neighbours.*/**');
    await context.setOffline(false);
    await expect(results(page)).toHaveCount(5);
  });

  test('a corrupt index costs own-image search only, with a clear message', async ({ page }) => {
    await page.route('**/data/index.*.bin', (route) =>
      route.fulfill({ status: 200, body: Buffer.alloc(4096, 7), contentType: 'application/octet-stream' }),
    );
    await page.goto(serverUrl());
    // Albums and album-image searches need only the catalog and the neighbour lists.
    await page.locator('[data-testid="album"][data-album="Apple"] a').click();
    await page.getByTestId('grid-cell').first().click();
    await expect(results(page)).toHaveCount(5);
    // The index, preloaded for own-image search, is refused and the status line says so.
    await expect(page.getByTestId('status-index-failed')).toContainText('index.');
    await page.getByTestId('own-image-input').setInputFiles(fixture('Apple', 'grin').path);
    await expect(page.getByTestId('search-error')).toContainText('index.');
  });
});

// With the service worker running (the app waits for it before starting the model runtime); the
// context-level route also sees requests the service worker makes.
test('a model that fails to load disables own-image search only', async ({ page, context }) => {
  await context.route('**/data/model.*.onnx', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(serverUrl());
  await expect(page.getByTestId('status-model-failed')).toContainText('model failed to load');
  await page.locator('[data-testid="album"][data-album="Apple"] a').click();
  await page.getByTestId('grid-cell').first().click();
  await expect(results(page)).toHaveCount(5);
  await page.getByTestId('own-image-input').setInputFiles(fixture('Apple', 'grin').path);
  await expect(page.getByTestId('search-error')).toContainText('404');
});

test('the header shows download sizes on the first visit and "from cache" on the next', async ({ page }) => {
  await openHome(page);
  const index = page.getByTestId('progress-index');
  await expect(index).toContainText(/Index\s+[\d.]+ kB · done/);
  await expect(page.getByTestId('progress-model')).toContainText(/Model\s+[\d.]+ MB/);
  await page.reload();
  await expect(page.getByTestId('album')).toHaveCount(3);
  await expect(index).toContainText('from cache');
  await expect(page.getByTestId('status-ready')).toContainText('30 images');
});
