import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServer, type RunningServer } from '../scripts/serve';
import { E2E_DIST_DIR, E2E_DIR } from './harness';
import { writeSyntheticAlbum } from './syntheticAlbum';

/*
 * An album of 11,000 images must scroll like a small one: the grid keeps only the rows near the
 * viewport in the DOM. The collection is synthetic (e2e/syntheticAlbum.ts): an 11k-row index of the
 * format a build of this many images gets (256 int4 dims, index v5), so the page's worker reads and
 * searches that format here.
 */

const COUNT = 11_000;
const ALBUM = 'Everything';
const BIG_DATA_DIR = join(E2E_DIR, 'ui-big-album', 'data');

let server: RunningServer;

test.beforeAll(async () => {
  await writeSyntheticAlbum(BIG_DATA_DIR, ALBUM, COUNT);
  server = await startServer({ distDir: E2E_DIST_DIR, dataDir: BIG_DATA_DIR, port: 0 });
});

test.afterAll(async () => {
  await server?.close();
});

test('an album of 11,000 images keeps a small DOM while scrolling and from end to end by keyboard', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${server.url}#/album/${ALBUM}?k=5`);
  const grid = page.getByTestId('thumbnail-grid');
  const cells = page.getByTestId('grid-cell');
  // Loaded cells and placeholders of cells whose page of items is still on its way.
  const domCells = page.getByRole('gridcell');
  await expect(cells.first()).toBeVisible();
  const columns = Number(await grid.getAttribute('aria-colcount'));
  expect(columns).toBeGreaterThan(1);
  expect(Number(await grid.getAttribute('aria-rowcount'))).toBe(Math.ceil(COUNT / columns));
  // A window's worth of rows plus overscan, not 11,000 cells.
  expect(await domCells.count()).toBeLessThan(300);

  // Scroll to the middle: the cells there are rendered and the DOM stays small.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight / 2));
  await expect
    .poll(async () => Number(await cells.first().getAttribute('data-index')))
    .toBeGreaterThan(COUNT / 3);
  expect(await domCells.count()).toBeLessThan(300);
  // Their items arrive page by page: no placeholder is left once they have.
  await expect(page.getByTestId('grid-placeholder')).toHaveCount(0);

  // Keyboard: Home, then End reaches the last image; Enter searches the 11k-row index from it.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(page.locator('[data-testid="grid-cell"][data-index="0"]')).toBeVisible();
  await page.locator('[data-testid="grid-cell"][data-index="0"]').focus();
  await page.keyboard.press('End');
  const last = page.locator(`[data-testid="grid-cell"][data-index="${COUNT - 1}"]`);
  await expect(last).toBeFocused();
  await expect(last).toBeInViewport();
  await page.keyboard.press('ArrowUp');
  await expect(page.locator(`[data-testid="grid-cell"][data-index="${COUNT - 1 - columns}"]`)).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/search\/b[0-9a-f]{11}\?k=5$/);
  await expect(page.getByTestId('result')).toHaveCount(5);

  // Back returns to the same place in the album, not to its top.
  await page.goBack();
  await expect(page.locator(`[data-testid="grid-cell"][data-index="${COUNT - 1}"]`)).toBeInViewport();
});
