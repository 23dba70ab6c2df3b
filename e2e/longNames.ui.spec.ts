import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../scripts/serve';
import { E2E_DIST_DIR, E2E_DIR } from './harness';
import { writeSyntheticAlbum } from './syntheticAlbum';

/*
 * A collection names its albums, and a name can be one long word (a pasted hash, a folder named by a
 * script). The page wraps it: a 250-character name once made the album page 4,604 px wide, so every
 * page scrolled sideways. Synthetic collection (e2e/syntheticAlbum.ts): one album of a few images.
 */

const ALBUM = `Holiday${'x'.repeat(243)}`;
const DATA_DIR = join(E2E_DIR, 'ui-long-names', 'data');
// syntheticAlbum's ids: `b` + 11 hex digits of the position.
const FIRST_ID = `b${(0).toString(16).padStart(11, '0')}`;

let server: RunningServer;

test.beforeAll(async () => {
  await writeSyntheticAlbum(DATA_DIR, ALBUM, 12);
  server = await startServer({ distDir: E2E_DIST_DIR, dataDir: DATA_DIR, port: 0 });
});

test.afterAll(async () => {
  await server?.close();
});

/** How far the page reaches past the viewport's right edge, in CSS pixels (0: no sideways scrolling). */
const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test('a one-word album name of 250 characters wraps: no page scrolls sideways', async ({ page }) => {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(`${server.url}#/`);
    await expect(page.locator('.album-name')).toContainText('Holiday');
    expect(await overflow(page), `album list at ${width} px`).toBe(0);

    await page.goto(`${server.url}#/album/${encodeURIComponent(ALBUM)}?k=5`);
    await expect(page.locator('h1')).toContainText('Holiday');
    await expect(page.getByTestId('grid-cell').first()).toBeVisible();
    expect(await overflow(page), `album page at ${width} px`).toBe(0);

    await page.goto(`${server.url}#/search/${FIRST_ID}?k=5`);
    await expect(page.getByText('Image 1', { exact: true }).first()).toBeVisible();
    expect(await overflow(page), `results page at ${width} px`).toBe(0);
  }
});
