import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { buildIndex } from '../index-builder/buildIndex';
import { shapePng } from '../testing/builderFixtures';
import { SCRIPTED_SVG, SCRIPT_MARK } from '../testing/scriptedSvg';
import { FolderSource } from '../index-builder/folderSource';
import { loadDataDir } from '../testing/loadDataDir';
import { loadModel } from '../index-builder/loadModel';
import { startServer, type RunningServer } from '../scripts/serve';
import { APP_CSP_META } from '../scripts/securityHeaders';
import { E2E_DIR, E2E_DIST_DIR, loadCollection, searchByImageInPage } from './harness';

/*
 * Nothing in a data dir is active content on the app's origin (docs/deploy.md "Security"): a
 * collection with an SVG whose script would set the title and write localStorage is built and served
 * by `npm run serve`; opening its original, or an SVG left in the data dir by hand, runs nothing. And
 * the app itself still works under its Content-Security-Policy.
 */

const root = join(E2E_DIR, `active-content-${process.pid}`);
const dataDir = join(root, 'data');
let server: RunningServer;
let svgOriginal: string;

test.beforeAll(async () => {
  const src = join(root, 'images', 'mixed');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'a.png'), await shapePng(11));
  await writeFile(join(src, 'b.png'), await shapePng(12));
  await writeFile(join(src, 'scripted.svg'), SCRIPTED_SVG);
  await buildIndex({
    source: new FolderSource(join(root, 'images')),
    dataDir,
    model: await loadModel(),
    cacheDir: join(root, 'cache'),
  });
  const data = await loadDataDir(dataDir);
  svgOriginal = data.catalog.items.find((it) => it.name === 'scripted.svg')!.original;
  // What a data dir built before originals were made safe could still hold.
  await writeFile(join(dataDir, 'stray.svg'), SCRIPTED_SVG);
  server = await startServer({ distDir: E2E_DIST_DIR, dataDir, port: 0, isolationHeaders: false });
});

test.afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

/** Whether the SVG's script ran: its title on the opened document, its mark in the app origin's storage. */
async function expectNoScriptRan(page: Page): Promise<void> {
  expect(await page.title()).not.toBe(SCRIPT_MARK);
  await page.goto(server.url);
  expect(await page.evaluate((mark) => localStorage.getItem(mark), SCRIPT_MARK)).toBeNull();
}

test('an SVG with a script is published as a PNG original, and opening it runs nothing', async ({ page }) => {
  expect(svgOriginal).toMatch(/^originals\/[0-9a-f]{16}\.png$/);
  const res = await page.goto(new URL(`data/${svgOriginal}`, server.url).href);
  expect(res?.headers()['content-type']).toBe('image/png');
  expect(res?.headers()['x-content-type-options']).toBe('nosniff');
  await expectNoScriptRan(page);
});

test('an SVG left in the data dir by hand is served inert (nosniff, sandbox CSP)', async ({ page }) => {
  const res = await page.goto(new URL('data/stray.svg', server.url).href);
  expect(res?.headers()['content-security-policy']).toMatch(/sandbox/);
  await expectNoScriptRan(page);
});

test('the app works under its Content-Security-Policy: load, own-image search, no violations', async ({
  page,
}) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const res = await page.goto(server.url);
  expect(res?.headers()['content-security-policy']).toContain("'wasm-unsafe-eval'");
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(meta).toBe(APP_CSP_META);
  const info = await loadCollection(page);
  expect(info.count).toBe(3);
  const hits = await searchByImageInPage(page, await shapePng(11), 2);
  expect(hits.results.length).toBe(2);
  expect(violations).toEqual([]);
});

test('an own image with a script is shown as a PNG of its pixels: its address opened as a page runs nothing', async ({
  page,
  context,
}) => {
  await page.goto(server.url);
  await loadCollection(page);
  await page.getByTestId('own-image-input').setInputFiles({
    name: 'scripted.svg',
    mimeType: 'image/svg+xml',
    buffer: SCRIPTED_SVG,
  });
  const shown = page.getByTestId('query-image').locator('img');
  await expect(shown).toHaveJSProperty('complete', true);
  expect(await shown.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  const url = await shown.getAttribute('src');
  expect(url).toMatch(/^blob:/);
  expect(await page.evaluate(async (u) => (await fetch(u)).headers.get('content-type'), url!)).toBe(
    'image/png',
  );
  // Opened by the browser itself, as when the address is pasted or the image dragged to the tab bar:
  // such a document does not inherit the app's CSP, so only its type keeps a script from running.
  const opened = await context.newPage();
  await opened.goto(url!);
  await expectNoScriptRan(opened);
});

test('an HTML file that begins with <svg> is refused as an own image, not drawn', async ({ page }) => {
  await page.goto(server.url);
  await loadCollection(page);
  await page.getByTestId('own-image-input').setInputFiles({
    name: 'page.html',
    mimeType: 'text/html',
    buffer: SCRIPTED_SVG,
  });
  await expect(page.getByTestId('image-error')).toContainText(
    "Couldn't read page.html: it is a web page (HTML), not an image",
  );
});
