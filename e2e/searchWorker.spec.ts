import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import sharp from 'sharp';
import { featurize } from '../core/featurize';
import { cosine } from '../models/research/parity';
import { isShardedManifest, parseManifest, type Manifest } from '../core/manifest';
import { decodeImage } from '../index-builder/decodeImage';
import { loadDataDir } from '../testing/loadDataDir';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { openDataDir } from '../index-builder/openDataDir';
import { queryById } from '../index-builder/queryDataDir';
import { CACHE_DB_NAME, CACHE_FORMAT_VERSION, CACHE_STORE_NAME, fileKey } from '../workers/dataCache';
import { listFixtureImages } from '../testing/fixtureImages';
import type { CatalogItem } from '../core/catalog';
import {
  E2E_DATA_DIR,
  FIXTURE_IMAGES_DIR,
  allItems,
  embedInPage,
  insecureHostArgs,
  loadCollection,
  onInsecureHost,
  searchById,
  searchByImageInPage,
  serveE2eBuild,
  serverUrl,
  workerStatus,
} from './harness';
import { launchBrowser } from '../testing/chromium';
import { waitForOfflineReady } from '../testing/pageReadiness';

function readManifest(): Manifest {
  return parseManifest(JSON.parse(readFileSync(join(E2E_DATA_DIR, 'manifest.json'), 'utf8')));
}

/** The catalog id of a fixture image (catalog items are named after the file). */
function idOf(items: CatalogItem[], album: string, emoji: string): string {
  const item = items.find((it) => it.album === album && it.name.replace(/\.png$/, '') === emoji);
  if (!item) throw new Error(`fixture ${album}/${emoji} is not in the catalog`);
  return item.id;
}

/** Rewrites one IndexedDB entry of the worker's cache from the page (same origin, same database). */
async function tamperCacheEntry(page: Page, key: string, how: 'flip-byte' | 'old-format'): Promise<void> {
  await page.evaluate(
    async ({ db, store, key, how, version }) => {
      const open = indexedDB.open(db);
      const database = await new Promise<IDBDatabase>((resolve, reject) => {
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const request = <T>(r: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
      const entry = await request(database.transaction(store).objectStore(store).get(key));
      if (!entry) throw new Error(`no cache entry ${key}`);
      if (how === 'flip-byte') {
        const bytes = new Uint8Array(entry.bytes.slice(0));
        bytes[bytes.length >> 1] ^= 0xff;
        entry.bytes = bytes.buffer;
      } else {
        entry.formatVersion = version - 1;
      }
      await request(database.transaction(store, 'readwrite').objectStore(store).put(entry, key));
      database.close();
    },
    { db: CACHE_DB_NAME, store: CACHE_STORE_NAME, key, how, version: CACHE_FORMAT_VERSION },
  );
}

/** An entry's format version and the sha256 of its bytes, computed in the page. */
async function cacheEntryState(
  page: Page,
  key: string,
): Promise<{ formatVersion: number; sha256: string } | null> {
  return page.evaluate(
    async ({ db, store, key }) => {
      const open = indexedDB.open(db);
      const database = await new Promise<IDBDatabase>((resolve, reject) => {
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const get = database.transaction(store).objectStore(store).get(key);
      const entry = await new Promise<{ formatVersion: number; bytes: ArrayBuffer } | undefined>(
        (resolve, reject) => {
          get.onsuccess = () => resolve(get.result);
          get.onerror = () => reject(get.error);
        },
      );
      database.close();
      if (!entry) return null;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', entry.bytes));
      const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      return { formatVersion: entry.formatVersion, sha256 };
    },
    { db: CACHE_DB_NAME, store: CACHE_STORE_NAME, key },
  );
}

test('album-image search in the browser gives the same neighbours as the Node builder', async ({ page }) => {
  await page.goto(serverUrl());
  const info = await loadCollection(page);
  const fixtures = listFixtureImages(FIXTURE_IMAGES_DIR);
  expect(info.count).toBe(fixtures.length);
  expect((await workerStatus(page)).storage.notKept).toEqual([]);
  // npm run query's reader: core/openCollection.ts over the data dir's files, as the worker over HTTP.
  const { collection } = await openDataDir(E2E_DATA_DIR);
  expect(collection.layout).toBe('resident');
  const items = await allItems(page, info);
  expect(items).toHaveLength(info.count);
  expect(info.layout).toBe('resident');
  for (const item of items) {
    const inBrowser = await searchById(page, item.id, 5);
    const inNode = await queryById(collection, item.id, 5);
    if (!('results' in inNode)) throw new Error(`node query failed: ${JSON.stringify(inNode)}`);
    expect(inBrowser.results.map((r) => r.id)).toEqual(inNode.results.map((r) => r.id));
    inBrowser.results.forEach((r, i) => expect(r.score).toBeCloseTo(inNode.results[i].score, 6));
    expect(inBrowser.results.map((r) => r.id)).not.toContain(item.id);
    // Each result carries its catalog item, the same one the Node reader has for its row.
    for (const r of inBrowser.results) expect(r.item).toEqual(await collection.item(r.id));
  }
});

test('the browser computes the same embeddings as Node (cosine ≥ 0.9999) and finds the image itself', async ({
  page,
}) => {
  await page.goto(serverUrl());
  const items = await allItems(page, await loadCollection(page));
  const data = await loadDataDir(E2E_DATA_DIR);
  const runner = await createOnnxModelRunner(data.model.onnxPath, data.model.spec, 1);
  try {
    const fixtures = listFixtureImages(FIXTURE_IMAGES_DIR);
    // One image per album, spread over the emoji.
    const sample = [fixtures[0], fixtures[13], fixtures[26]];
    for (const fixture of sample) {
      const file = readFileSync(fixture.path);
      const [inNode] = await featurize(runner, data.model.spec, [(await decodeImage(file)).image]);
      const inBrowser = await embedInPage(page, file);
      expect(inBrowser.length).toBe(inNode.length);
      const similarity = cosine(inBrowser, inNode);
      console.log(`${fixture.album}/${fixture.emoji}: browser vs node cosine ${similarity.toFixed(6)}`);
      expect(similarity).toBeGreaterThanOrEqual(0.9999);
      const response = await searchByImageInPage(page, file, 3);
      expect(response.results[0].id).toBe(idOf(items, fixture.album, fixture.emoji));
    }
  } finally {
    await runner.release();
  }
  const status = await workerStatus(page);
  expect(status.model).toBe('ready');
  expect(status.executionProvider).not.toBeNull();
});

test('a phone-sized photo is decoded upright and shrunk to 1024 px on the page, with the embedding Node computes', async ({
  page,
}) => {
  await page.goto(serverUrl());
  await loadCollection(page);
  const fixture = listFixtureImages(FIXTURE_IMAGES_DIR)[5];
  // 3000 × 2000 stored, EXIF orientation 6: upright it is 2000 × 3000, so the page shrinks it to 683 × 1024.
  const photo = new Uint8Array(
    await sharp(readFileSync(fixture.path))
      .resize(3000, 2000, { fit: 'fill' })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 90 })
      .withMetadata({ orientation: 6 })
      .toBuffer(),
  );
  const size = await page.evaluate(async (bytes) => {
    const pixels = await window.__lookalike!.decodeImage(new Blob([new Uint8Array(bytes)]));
    return { width: pixels.width, height: pixels.height };
  }, Array.from(photo));
  expect(size).toEqual({ width: 683, height: 1024 });
  const data = await loadDataDir(E2E_DATA_DIR);
  const runner = await createOnnxModelRunner(data.model.onnxPath, data.model.spec, 1);
  try {
    const decoded = await decodeImage(photo);
    expect([decoded.image.width, decoded.image.height]).toEqual([683, 1024]);
    const [inNode] = await featurize(runner, data.model.spec, [decoded.image]);
    // Chromium's and libvips's downscales differ a little; the model's own resize to 160 px follows both.
    const similarity = cosine(await embedInPage(page, photo), inNode);
    console.log(`3000 × 2000 photo, EXIF orientation 6: browser vs node cosine ${similarity.toFixed(6)}`);
    expect(similarity).toBeGreaterThanOrEqual(0.9999);
  } finally {
    await runner.release();
  }
});

test('a CMYK JPEG without a colour profile is embedded by the page as Node embeds it, small and phone-sized', async ({
  page,
}) => {
  await page.goto(serverUrl());
  await loadCollection(page);
  const fixture = listFixtureImages(FIXTURE_IMAGES_DIR)[7];
  const data = await loadDataDir(E2E_DATA_DIR);
  const runner = await createOnnxModelRunner(data.model.onnxPath, data.model.spec, 1);
  try {
    for (const [width, height] of [
      [0, 0],
      [3000, 2000],
    ]) {
      let pipeline = sharp(readFileSync(fixture.path)).flatten({ background: '#ffffff' });
      if (width > 0) pipeline = pipeline.resize(width, height, { fit: 'fill' });
      // libvips converts through its stock profile and, as sharp does by default, keeps no profile.
      const file = await pipeline.toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer();
      const metadata = await sharp(file).metadata();
      expect([metadata.space, metadata.hasProfile]).toEqual(['cmyk', false]);
      const [inNode] = await featurize(runner, data.model.spec, [(await decodeImage(file)).image]);
      const similarity = cosine(await embedInPage(page, file), inNode);
      console.log(
        `CMYK JPEG ${metadata.width} × ${metadata.height}: browser vs node cosine ${similarity.toFixed(6)}`,
      );
      expect(similarity).toBeGreaterThanOrEqual(0.9999);
    }
  } finally {
    await runner.release();
  }
});

test('after a first visit the app starts and searches offline, cross-origin isolated by the service worker', async ({
  browser,
}) => {
  const { server } = await serveE2eBuild(false);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    // Served without COOP/COEP (like S3): not isolated until the service worker answers.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    const online = await loadCollection(page);
    const [first] = await allItems(page, online);
    await page.evaluate(() => window.__lookalike!.searchClient.preloadInBackground());
    await waitForOfflineReady(page);
    const queryId = first.id;
    const onlineAlbumSearch = await searchById(page, queryId, 5);
    const ownImage = readFileSync(listFixtureImages(FIXTURE_IMAGES_DIR)[4].path);
    const onlineOwnSearch = await searchByImageInPage(page, ownImage, 5);
    // A thumbnail seen online is kept by the service worker.
    const thumbUrl = `data/${first.thumb}`;
    expect(await page.evaluate(async (u) => (await fetch(u)).status, thumbUrl)).toBe(200);

    // Truly offline: the host is gone, and the page's own network is cut too.
    await server.close();
    await context.setOffline(true);
    await page.reload();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const offline = await loadCollection(page);
    expect(offline.count).toBe(online.count);
    expect(offline.fromCache).toBe(true);
    expect(offline.fetchedBytes).toBe(0);
    expect((await searchById(page, queryId, 5)).results).toEqual(onlineAlbumSearch.results);
    const offlineOwnSearch = await searchByImageInPage(page, ownImage, 5);
    console.log(
      `worker time: album search ${onlineAlbumSearch.elapsedMs.toFixed(2)} ms; own-image search ` +
        `${onlineOwnSearch.elapsedMs.toFixed(0)} ms (1 thread, first visit), ` +
        `${offlineOwnSearch.elapsedMs.toFixed(0)} ms (isolated, ${(await workerStatus(page)).threads} threads)`,
    );
    expect(offlineOwnSearch.results.map((r) => r.id)).toEqual(onlineOwnSearch.results.map((r) => r.id));
    expect(await page.evaluate(async (u) => (await fetch(u)).status, thumbUrl)).toBe(200);
    const status = await workerStatus(page);
    expect(status.crossOriginIsolated).toBe(true);
    expect(status.executionProvider).toBe('wasm');
    expect(status.threads).toBeGreaterThanOrEqual(Math.min(2, 4));
  } finally {
    await context.close();
    await server.close();
  }
});

test('a corrupted or outdated cache entry is detected, downloaded again and works', async ({ browser }) => {
  const { server, log } = await serveE2eBuild(false);
  const manifest = readManifest();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    const info = await loadCollection(page);
    const queryId = (await allItems(page, info))[3].id;
    const before = await searchById(page, queryId, 5);
    // The album-image search read its neighbour-list shard (30 images: one shard), not the index.
    if (isShardedManifest(manifest) || !manifest.neighbours) throw new Error('expected neighbour lists');
    const shard = manifest.neighbours.shards[0];

    await tamperCacheEntry(page, fileKey(shard.sha256), 'flip-byte');
    await tamperCacheEntry(page, fileKey(manifest.catalog.sha256), 'old-format');
    expect(await cacheEntryState(page, fileKey(shard.sha256))).not.toMatchObject({
      sha256: shard.sha256,
    });
    await page.reload();
    const after = await loadCollection(page);
    expect(after.count).toBe(info.count);
    expect((await searchById(page, queryId, 5)).results).toEqual(before.results);
    // The bad entries were replaced by verified downloads (from the host or its HTTP cache).
    expect(await cacheEntryState(page, fileKey(shard.sha256))).toEqual({
      formatVersion: CACHE_FORMAT_VERSION,
      sha256: shard.sha256,
    });
    expect(await cacheEntryState(page, fileKey(manifest.catalog.sha256))).toEqual({
      formatVersion: CACHE_FORMAT_VERSION,
      sha256: manifest.catalog.sha256,
    });

    // The next load is served from the repaired cache without touching the host, once the background
    // preload has read (and cached) every catalog and neighbour shard.
    await page.evaluate(() => window.__lookalike!.searchClient.preloadInBackground());
    log.clear();
    await page.reload();
    const third = await loadCollection(page);
    expect(third.fromCache).toBe(true);
    expect((await searchById(page, queryId, 5)).results).toEqual(before.results);
    expect(log.paths.filter((p) => /^\/data\/(catalog|shards|neighbours)\./.test(p))).toEqual([]);
  } finally {
    await context.close();
    await server.close();
  }
});

test('plain HTTP on a non-localhost host: search works with pure-JS sha256 and offline is reported unavailable', async () => {
  const browser = await launchBrowser(insecureHostArgs());
  try {
    const page = await browser.newPage();
    await page.goto(onInsecureHost(serverUrl()));
    expect(await page.evaluate(() => isSecureContext)).toBe(false);
    const info = await loadCollection(page);
    expect(info.count).toBeGreaterThan(0);
    const status = await workerStatus(page);
    expect(status.hashImplementation).toBe('noble');
    expect(await page.evaluate(() => window.__lookalike!.offlineStatus())).toEqual({
      state: 'unavailable',
      reason: 'insecure-context',
    });
    const items = await allItems(page, info);
    const response = await searchById(page, items[0].id, 4);
    expect(response.results).toHaveLength(4);
    const fixture = listFixtureImages(FIXTURE_IMAGES_DIR)[7];
    const own = await searchByImageInPage(page, readFileSync(fixture.path), 3);
    expect(own.results[0].id).toBe(idOf(items, fixture.album, fixture.emoji));
  } finally {
    await browser.close();
  }
});
