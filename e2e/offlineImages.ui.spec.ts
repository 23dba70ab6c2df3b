import { expect, test, type Route } from '@playwright/test';
import { waitForOfflineReady } from '../testing/pageReadiness';
import { serverUrl } from './harness';

/*
 * Offline, a visit has what it stored while online: search works, but thumbnails never shown and the
 * duplicate groups never opened are not on the device. A walk-through found such thumbnails as
 * broken-image icons with their alt text spilled over the tiles, and the duplicates page reporting
 * "cannot reach …json (offline?): TypeError: Failed to fetch".
 */

test('offline, images never shown are quiet tiles that say so, and come back online; a page never opened says it is offline', async ({
  page,
  context,
}) => {
  await page.goto(serverUrl());
  await expect(page.getByTestId('album')).toHaveCount(3);
  await waitForOfflineReady(page);
  const albums = await page.getByTestId('album').evaluateAll((cards) => cards.map((c) => c.dataset.album!));

  await context.setOffline(true);
  // Hash navigation: the page stays; the album's thumbnails were never fetched.
  await page.evaluate(
    (album) => (window.location.hash = `#/album/${encodeURIComponent(album)}?k=5`),
    albums[1],
  );
  const tiles = page.getByTestId('image-unavailable');
  await expect(tiles.first()).toHaveText('Not available offline');
  await expect(tiles.first()).toHaveAttribute('aria-label', /: not available offline$/);
  // No broken image is left on the page.
  const broken = () =>
    page
      .locator('img')
      .evaluateAll(
        (imgs) =>
          imgs.filter(
            (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 0,
          ).length,
      );
  expect(await broken()).toBe(0);

  await page.evaluate(() => (window.location.hash = '#/duplicates?k=5'));
  await expect(page.getByTestId('duplicates-error')).toContainText(
    'You are offline, and the duplicate groups are not stored on this device yet',
  );

  await page.evaluate(
    (album) => (window.location.hash = `#/album/${encodeURIComponent(album)}?k=5`),
    albums[1],
  );
  await expect(tiles.first()).toBeVisible();
  await context.setOffline(false);
  await expect(tiles).toHaveCount(0);
  await expect(page.getByTestId('grid-cell').first().locator('img')).toHaveJSProperty('complete', true);
  expect(await broken()).toBe(0);
});

test('an image whose load began before the connection came back, and failed after, is tried again at once', async ({
  page,
  context,
}) => {
  await page.goto(serverUrl());
  await expect(page.getByTestId('album')).toHaveCount(3);
  const albums = await page.getByTestId('album').evaluateAll((cards) => cards.map((c) => c.dataset.album!));

  // The album's thumbnails are held unanswered while the browser says it is online again, then fail:
  // their failures arrive after the 'online' event, as requests made offline can on a loaded machine.
  // (Dropping the context's connection would fail the held requests at once, before the event.)
  const held: Route[] = [];
  await context.route('**/data/thumbs/**', (route) => void held.push(route));
  await page.evaluate(
    (album) => (window.location.hash = `#/album/${encodeURIComponent(album)}?k=5`),
    albums[2],
  );
  const cells = page.getByTestId('grid-cell');
  await expect(cells.first()).toBeVisible();
  await expect.poll(() => held.length).toBeGreaterThan(0);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  for (const route of held.splice(0)) await route.abort('internetdisconnected');
  // Retries held since then go on to the site as the route is taken away.
  await context.unroute('**/data/thumbs/**');

  await expect(page.getByTestId('image-unavailable')).toHaveCount(0);
  await expect(cells.first().locator('img')).toHaveJSProperty('complete', true);
  expect(
    await cells
      .first()
      .locator('img')
      .evaluate((img) => (img as HTMLImageElement).naturalWidth),
  ).toBeGreaterThan(0);
});
