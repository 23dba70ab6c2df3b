import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { E2E_DATA_DIR, allItems, loadCollection, serveE2eBuild } from './harness';
import { copies, deployNewApp, takeOverByNewApp } from './siteCopies';
import { startServer } from '../scripts/serve';
import { waitForOfflineReady } from '../testing/pageReadiness';

/*
 * What the service worker (workers/serviceWorker.ts) does with the collection's files in Chromium:
 * thumbnails and originals each in their own cache, an original stored with its size (what the byte
 * bound of workers/boundedCache.ts counts), and the other data files left to the search worker.
 */

const BODY_BYTES_HEADER = 'x-lookalike-body-bytes';

test('thumbnails and originals are cached apart, each original with its size; data files pass through', async ({
  browser,
}) => {
  // Served without COOP/COEP: a header the service worker adds marks a response it answered.
  const { server } = await serveE2eBuild(false);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await waitForOfflineReady(page);
    const [item] = await allItems(page, await loadCollection(page));
    await page.goto(`${server.url}#/search/${item.id}?k=3`);
    const shown = page.getByTestId('query-image').locator('img');
    await expect(shown).toHaveAttribute('src', /originals\//);
    await expect
      .poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);
    // A result's thumbnail is stored before the page gets it: once it has loaded, it is cached. It is lazy,
    // so it is brought into view first.
    const thumbnail = page.getByTestId('result').first().locator('img');
    await thumbnail.scrollIntoViewIfNeeded();
    await expect
      .poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);

    const cached = await page.evaluate(async (header) => {
      const paths = async (name: string) =>
        (await caches.has(name))
          ? (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname)
          : [];
      const originals = await caches.open('lookalike-originals-v1');
      const stored = await Promise.all(
        (await originals.keys()).map(async (request) => {
          const response = (await originals.match(request))!;
          return {
            path: new URL(request.url).pathname,
            bytesHeader: response.headers.get(header),
            bytes: (await response.arrayBuffer()).byteLength,
          };
        }),
      );
      const answeredBy = async (path: string) =>
        (await fetch(path)).headers.get('cross-origin-embedder-policy') === null
          ? 'network'
          : 'service worker';
      return {
        thumbs: await paths('lookalike-images-v1'),
        originals: stored,
        manifest: await answeredBy('data/manifest.json'),
        thumb: await answeredBy((await paths('lookalike-images-v1'))[0]),
      };
    }, BODY_BYTES_HEADER);

    const bytes = statSync(join(E2E_DATA_DIR, item.original)).size;
    expect(cached.originals).toContainEqual({
      path: `/data/${item.original}`,
      bytesHeader: String(bytes),
      bytes,
    });
    expect(cached.thumbs.length).toBeGreaterThan(0);
    expect(cached.thumbs.every((p) => p.startsWith('/data/thumbs/'))).toBe(true);
    expect(cached.manifest).toBe('network');
    expect(cached.thumb).toBe('service worker');
  } finally {
    await context.close();
    await server.close();
  }
});

test('a newer service worker takes the originals an earlier one kept with the thumbnails out of that cache', async ({
  browser,
}) => {
  const { dist, data } = copies('image-cache');
  const server = await startServer({ distDir: dist, dataDir: data, port: 0, exitAfterMs: 5 * 60_000 });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await waitForOfflineReady(page);
    // What a version before the byte bound left: an original next to a thumbnail, in one cache.
    await page.evaluate(async () => {
      const cache = await caches.open('lookalike-images-v1');
      await cache.put('data/originals/0123456789abcdef.png', new Response('an original'));
      await cache.put('data/thumbs/0123456789abcdef.webp', new Response('a thumbnail'));
    });
    deployNewApp(dist);
    const cachedPaths = () =>
      page.evaluate(async () =>
        (await (await caches.open('lookalike-images-v1')).keys()).map((r) => new URL(r.url).pathname),
      );
    await expect
      .poll(async () => {
        await takeOverByNewApp(page);
        return cachedPaths();
      })
      .not.toContain('/data/originals/0123456789abcdef.png');
    expect(await cachedPaths()).toContain('/data/thumbs/0123456789abcdef.webp');
  } finally {
    await context.close();
    await server.close();
  }
});
