import { expect, test, type Locator, type Page } from '@playwright/test';
import { loadDataDir, type LoadedDataDir } from '../testing/loadDataDir';
import { labelOutcome, queryById } from '../index-builder/queryDataDir';
import { startServer, type RunningServer } from '../scripts/serve';
import { E2E_CALIBRATED_DATA_DIR, E2E_DATA_DIR, E2E_DIST_DIR, serverUrl } from './harness';

/*
 * Keyboard and screen-reader use of the pages: where focus goes when the control that had it goes away
 * or is busy, what live regions say, headings, the focus ring, text contrast and reflow at 320 px.
 * The fixture collection (served by globalSetup) for the search pages; the calibrated one (1020 emoji,
 * hundreds of duplicate groups) for the cut-off and the duplicates page.
 */

let albumImage: { id: string; name: string; album: string };
let calibrated: LoadedDataDir;
let calibratedServer: RunningServer;

test.beforeAll(async () => {
  const { catalog } = await loadDataDir(E2E_DATA_DIR);
  albumImage = catalog.items[0];
  calibrated = await loadDataDir(E2E_CALIBRATED_DATA_DIR);
  calibratedServer = await startServer({ distDir: E2E_DIST_DIR, dataDir: E2E_CALIBRATED_DATA_DIR, port: 0 });
});
test.afterAll(async () => {
  await calibratedServer.close();
});

const searchUrl = (query = '') => `${serverUrl()}#/search/${albumImage.id}?k=5${query}`;

/** Presses Tab until `target` has focus (so it is focused from the keyboard, as :focus-visible needs). */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let i = 0; i < 60 && !(await target.evaluate((el) => el === document.activeElement)); i++)
    await page.keyboard.press('Tab');
  await expect(target).toBeFocused();
}

/** What has focus, for messages: the page's body when focus was dropped. */
const focusedElement = (page: Page) =>
  page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return '<body>';
    return `<${e.tagName.toLowerCase()} ${(e as HTMLElement).dataset.testid ?? ''}>`;
  });

test('a result link focused from the keyboard shows its whole focus ring, clipped by nothing around it', async ({
  page,
}) => {
  await page.goto(searchUrl());
  const link = page.getByTestId('result').first().getByRole('link');
  await expect(page.getByTestId('result')).toHaveCount(5);
  await tabTo(page, link);
  const ring = await link.evaluate((el) => {
    const style = getComputedStyle(el);
    const width = style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth);
    const reach = width + (parseFloat(style.outlineOffset) || 0);
    const box = el.getBoundingClientRect();
    const clippedBy: string[] = [];
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      if (
        box.left - reach < b.left ||
        box.top - reach < b.top ||
        box.right + reach > b.right ||
        box.bottom + reach > b.bottom
      )
        clippedBy.push(a.className);
    }
    return { width, focusVisible: el.matches(':focus-visible'), clippedBy };
  });
  expect(ring.focusVisible).toBe(true);
  expect(ring.width).toBeGreaterThan(0);
  expect(ring.clippedBy).toEqual([]);
});

test('the search page and a page that is not found each have an h1', async ({ page }) => {
  await page.goto(searchUrl());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(albumImage.name);
  await page.goto(`${serverUrl()}#/search/no-such-id?k=5`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Image not found');
  await page.goto(`${serverUrl()}#/elsewhere`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
});

test('the download list is no live region; downloads that finish and search results are announced by status lines', async ({
  page,
}) => {
  await page.goto(searchUrl());
  await expect(page.getByTestId('load-progress')).not.toHaveAttribute('aria-live');
  await expect(page.getByTestId('load-announcement')).toHaveRole('status');
  await expect(page.getByTestId('load-announcement')).toHaveText(/(downloaded|loaded from cache|ready)$/);

  const status = page.getByRole('status').filter({ hasText: /^5 most similar · found in \S+ ms/ });
  await expect(status).toHaveCount(1);
  // The same element says what the next search found: a live region announces changes to itself, not
  // a new element that arrives with its text.
  const element = await status.elementHandle();
  await page.getByTestId('k-select').selectOption('3');
  await expect(page.getByTestId('result')).toHaveCount(3);
  await expect
    .poll(() => element!.evaluate((e) => e.isConnected && e.textContent))
    .toMatch(/^3 most similar · found in/);
});

test('the region selector: its live status says only where the box is, the keys are its description', async ({
  page,
}) => {
  await page.goto(searchUrl());
  await expect(page.getByTestId('result')).toHaveCount(5);
  const toggle = page.getByTestId('region-toggle');
  await tabTo(page, toggle);
  await page.keyboard.press('Enter');
  const layer = page.getByTestId('region-layer');
  await expect(layer).toBeFocused();
  await expect(layer).toHaveAccessibleDescription(/Arrow keys move it, Shift\+arrow keys resize it/);
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('region-status')).toHaveText(/^Box: 50 % × 50 % of the image.*\.$/);
  await expect(page.getByTestId('region-status')).not.toContainText('Arrow keys');
});

test('"Search the whole image" goes away with the region and leaves focus on the region toggle', async ({
  page,
}) => {
  await page.goto(searchUrl('&region=0.1,0.1,0.5,0.5'));
  await expect(page.getByTestId('result')).toHaveCount(5);
  const toggle = page.getByTestId('region-toggle');
  const clear = page.getByTestId('region-clear');
  await clear.focus();
  await page.keyboard.press('Enter');
  await expect(page).not.toHaveURL(/region=/);
  await expect(clear).toHaveCount(0);
  await expect(toggle).toBeFocused();
});

test('a result link’s name starts with the text the card shows; the album after the image’s name is isolated from it', async ({
  page,
}) => {
  await page.goto(searchUrl());
  const card = page.getByTestId('result').first();
  await expect(page.getByTestId('result')).toHaveCount(5);
  const score = await card.getByTestId('result-score').textContent();
  const album = await card.getByTestId('result-album').textContent();
  // The fixture is not calibrated: no label between the score and the album.
  await expect(card.getByRole('link')).toHaveAccessibleName(
    new RegExp(`^${escapeRegExp(`${score}, ${album}`)};`),
  );
  // A name with right-to-left marks must not reorder the app's text after it.
  await expect(page.getByTestId('query-image').locator('figcaption bdi')).toHaveText(albumImage.album);
});

test('score pills have a text contrast of at least 4.5:1 in the light scheme', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light' });
  try {
    const page = await context.newPage();
    await page.goto(searchUrl());
    await expect(page.getByTestId('result')).toHaveCount(5);
    const ratio = await page
      .getByTestId('result-score')
      .first()
      .evaluate((el) => {
        const style = getComputedStyle(el);
        const luminance = (css: string) => {
          const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
            const c = Number(v) / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const [hi, lo] = [luminance(style.color), luminance(style.backgroundColor)].sort((a, b) => b - a);
        return (hi + 0.05) / (lo + 0.05);
      });
    expect(ratio).toBeGreaterThanOrEqual(4.5);
  } finally {
    await context.close();
  }
});

/** Hands "Search with your image" a file that is no image, with focus on the button, as its file chooser would. */
async function pickBrokenImage(page: Page): Promise<void> {
  await page.goto(serverUrl());
  await expect(page.getByTestId('album')).toHaveCount(3);
  const button = page.getByTestId('own-image-button');
  await button.focus();
  await page.getByTestId('own-image-input').setInputFiles({
    name: 'broken.png',
    mimeType: 'image/png',
    buffer: Buffer.from('this is not a PNG file'),
  });
  await expect(page.getByTestId('image-error')).toContainText(
    "Couldn't read broken.png: its contents are not an image this browser can read",
  );
}

test('a broken own image chosen from the keyboard: focus stays on the button through decoding', async ({
  page,
}) => {
  await pickBrokenImage(page);
  expect(await focusedElement(page)).toBe('<button own-image-button>');
});

test('Dismiss on the own-image error brings focus back to the button', async ({ page }) => {
  await pickBrokenImage(page);
  const button = page.getByTestId('own-image-button');
  await page.getByRole('button', { name: 'Dismiss' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('image-error')).toHaveCount(0);
  await expect(button).toBeFocused();
});

test('"Show all anyway" moves focus to the results it shows', async ({ page }) => {
  const K = 10;
  let id: string | undefined;
  for (const item of calibrated.catalog.items) {
    const outcome = labelOutcome(
      await queryById(calibrated.collection, item.id, K),
      calibrated.manifest.calibration ?? null,
    );
    if ('results' in outcome && outcome.results.every((r) => r.label !== 'near-identical')) {
      id = item.id;
      break;
    }
  }
  if (id === undefined) throw new Error('no query of the calibrated fixture has no near-identical result');
  await page.goto(`${calibratedServer.url}#/search/${id}?k=${K}&min=near-identical`);
  const showAll = page.getByTestId('no-close-match').getByRole('button', { name: `Show all ${K} anyway` });
  await showAll.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('result')).toHaveCount(K);
  await expect(page.getByTestId('results')).toBeFocused();
});

test.describe('the duplicates page', () => {
  test('an export button keeps focus while the export runs', async ({ page }) => {
    await page.goto(`${calibratedServer.url}#/duplicates`);
    await expect(page.getByTestId('duplicate-group').first()).toBeVisible();
    const exportJson = page.getByTestId('export-json');
    await exportJson.focus();
    const download = page.waitForEvent('download');
    await page.keyboard.press('Enter');
    await download;
    await expect(exportJson).not.toHaveAttribute('aria-disabled', 'true');
    expect(await focusedElement(page)).toBe('<button export-json>');
  });

  test('"Show more groups" keeps focus while loading; when the last page is in, focus moves to its first image', async ({
    page,
  }) => {
    await page.goto(`${calibratedServer.url}#/duplicates`);
    const groups = page.getByTestId('duplicate-group');
    await expect(groups.first()).toBeVisible();
    await page.getByTestId('more-groups').focus();
    // Pages also arrive by themselves as the button nears the screen, and the last one takes the button
    // away at any moment: so it is looked at and pressed (Enter on a focused button clicks it) in one step
    // in the page. Looking with one call and pressing with the next raced with those pages: a check that
    // found the button and then asked for its state waited for ever on a button that was gone.
    const pressIfReady = () =>
      page.evaluate(() => {
        const button = document.querySelector<HTMLElement>('[data-testid="more-groups"]');
        if (button === null) return { state: 'gone' as const };
        if (document.activeElement !== button) return { state: 'unfocused' as const };
        if (button.getAttribute('aria-disabled') === 'true') return { state: 'loading' as const };
        const loaded = document
          .querySelector('[data-testid="duplicate-groups"]')!
          .getAttribute('data-loaded-groups');
        button.click();
        return { state: 'pressed' as const, loaded: Number(loaded) };
      });
    const buttonState = () =>
      page.evaluate(() => {
        const button = document.querySelector('[data-testid="more-groups"]');
        return button === null
          ? 'gone'
          : button.getAttribute('aria-disabled') === 'true'
            ? 'loading'
            : 'ready';
      });
    let lastPageFirstGroup = 0;
    let presses = 0;
    for (;;) {
      const step = await pressIfReady();
      if (step.state === 'gone') break;
      // Loading or not, the button keeps focus until it goes.
      expect(step.state).not.toBe('unfocused');
      if (step.state === 'pressed') {
        lastPageFirstGroup = step.loaded;
        presses++;
      }
      await expect.poll(buttonState).not.toBe('loading');
    }
    expect(presses).toBeGreaterThan(0);
    await expect(page.locator(':focus')).toHaveAttribute('data-testid', 'duplicate-member');
    const focusedGroup = Number(await page.locator(':focus').getAttribute('data-group'));
    // The first image of a group that the last press (or the scroll it caused) brought.
    expect(focusedGroup).toBeGreaterThanOrEqual(lastPageFirstGroup);
    await expect(page.locator(':focus')).toHaveAttribute('data-member', '0');
  });

  test('at 320 px wide nothing sticks out sideways', async ({ browser }) => {
    const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
    try {
      const page = await context.newPage();
      await page.goto(`${calibratedServer.url}#/duplicates`);
      await expect(page.getByTestId('duplicate-member').first()).toBeVisible();
      await expect(page.getByTestId('strictness-select')).toBeVisible();
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
    } finally {
      await context.close();
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
