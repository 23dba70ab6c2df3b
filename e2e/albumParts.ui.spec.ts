import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ALBUM_PART_SIZE } from '../src/albumPage/albumParts';
import { startServer, type RunningServer } from '../scripts/serve';
import { E2E_DIST_DIR, E2E_DIR } from './harness';
import { writeSyntheticAlbum } from './syntheticAlbum';

/*
 * An album larger than one part (src/albumPage/albumParts.ts) is shown in parts, so that every image
 * can be scrolled to: a grid of a million images would be taller than browsers let an element be.
 * Synthetic collection (e2e/syntheticAlbum.ts): one album of a part and 1,234 images more.
 */

const COUNT = ALBUM_PART_SIZE + 1_234;
const ALBUM = 'Huge';
const DATA_DIR = join(E2E_DIR, 'ui-album-parts', 'data');

let server: RunningServer;

test.beforeAll(async () => {
  await writeSyntheticAlbum(DATA_DIR, ALBUM, COUNT);
  server = await startServer({ distDir: E2E_DIST_DIR, dataDir: DATA_DIR, port: 0 });
});

test.afterAll(async () => {
  await server?.close();
});

test('an album larger than a part is shown in parts, and the last image of each can be reached and searched', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${server.url}#/album/${ALBUM}?k=5`);
  const shown = page.getByTestId('album-part-shown');
  const grid = page.getByTestId('thumbnail-grid');
  const cell = (index: number) => page.locator(`[data-testid="grid-cell"][data-index="${index}"]`);
  await expect(shown).toHaveText('Images 1–100,000 of 101,234');
  await expect(cell(0)).toHaveAttribute('title', 'Image 1');
  const columns = Number(await grid.getAttribute('aria-colcount'));
  expect(Number(await grid.getAttribute('aria-rowcount'))).toBe(Math.ceil(ALBUM_PART_SIZE / columns));
  await expect(page.locator('a[rel="prev"]')).toHaveCount(0);

  // The first part's last image, by keyboard.
  await cell(0).focus();
  await page.keyboard.press('End');
  await expect(cell(ALBUM_PART_SIZE - 1)).toBeFocused();
  await expect(cell(ALBUM_PART_SIZE - 1)).toHaveAttribute('title', `Image ${ALBUM_PART_SIZE}`);

  // The next part opens at its top and holds the rest of the album.
  await page.locator('a[rel="next"]').click();
  await expect(page).toHaveURL(/#\/album\/Huge\?k=5&part=2$/);
  await expect(shown).toHaveText('Images 100,001–101,234 of 101,234');
  await expect(cell(0)).toHaveAttribute('title', `Image ${ALBUM_PART_SIZE + 1}`);
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  expect(Number(await grid.getAttribute('aria-rowcount'))).toBe(Math.ceil(1_234 / columns));
  await expect(page.locator('a[rel="next"]')).toHaveCount(0);
  await cell(0).focus();
  await page.keyboard.press('End');
  await expect(cell(1_233)).toBeFocused();
  await expect(cell(1_233)).toHaveAttribute('title', `Image ${COUNT}`);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/search/b${(COUNT - 1).toString(16).padStart(11, '0')}\\?k=5$`));
  await expect(page.getByTestId('result')).toHaveCount(5);

  // Back returns to the part and the place in it; the drop-down goes to another part.
  await page.goBack();
  await expect(cell(1_233)).toBeInViewport();
  await page.getByTestId('album-part-select').selectOption('1');
  await expect(page).toHaveURL(/#\/album\/Huge\?k=5$/);
  await expect(shown).toHaveText('Images 1–100,000 of 101,234');
});
