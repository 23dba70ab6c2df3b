import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { serverUrl } from './harness';
import { REPO_ROOT } from '../testing/repoRoot';

/*
 * Screenshots of the home, album and results pages from the fixture collection; each step also checks
 * the page rendered what it should. `UPDATE_SCREENSHOTS=1 npm run test:e2e -- screenshots` refreshes
 * the committed ones in docs/screenshots/; ordinary test runs write to test-results/ and leave the tree clean.
 */

const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS
  ? join(REPO_ROOT, 'docs', 'screenshots')
  : join(REPO_ROOT, 'test-results', 'screenshots');

async function settle(page: Page): Promise<void> {
  // No hover highlight on whatever the last click left the mouse over.
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
  // The header's download line finishes when the background model load does; wait so it reads "done".
  await expect(page.locator('.stage-active')).toHaveCount(0);
}

test.use({ viewport: { width: 1280, height: 820 } });

test.beforeAll(() => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
});

for (const colorScheme of ['light', 'dark'] as const) {
  test(`screenshots of home, album and results (${colorScheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme });
    const suffix = colorScheme === 'light' ? '' : '-dark';

    await page.goto(serverUrl());
    await expect(page.getByTestId('album')).toHaveCount(3);
    await settle(page);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `home${suffix}.png`) });

    await page.locator('[data-testid="album"][data-album="Apple"] a').click();
    await expect(page.getByTestId('grid-cell')).toHaveCount(10);
    await settle(page);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `album${suffix}.png`) });

    await page.getByTestId('k-select').selectOption('7');
    await page.getByTestId('grid-cell').nth(2).click();
    await expect(page.getByTestId('result')).toHaveCount(7);
    await settle(page);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `results${suffix}.png`), fullPage: true });
  });
}
