import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, expect, test, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../testing/chromium';
import { waitForSearchApi } from '../testing/pageReadiness';
import { isShardedManifest, parseManifest } from '../core/manifest';
import { CACHE_DB_NAME, CACHE_STORE_NAME, fileKey } from '../workers/dataCache';
import type { WorkerStatus } from '../workers/searchApi';
import { E2E_DATA_DIR, serveE2eBuild } from './harness';

/*
 * What can go wrong with IndexedDB itself, under the worker's data cache (workers/dataCache.ts).
 *
 * A browser profile whose IndexedDB lost the files that hold its large values (a disk cleaner, a damaged
 * or partly restored profile). Chromium keeps values of more than a few KB (here the index and the model)
 * in blob files beside its LevelDB, and answers a read of one whose file is gone with NotReadableError
 * ("Data lost due to missing file"). The app must download those files again and keep them, not give up
 * on the whole cache: that left the record in place, so every later visit failed on it again, kept
 * nothing and said browser storage was short while gigabytes were free.
 *
 * A later app that raises the database's version (to change how entries are stored) while a tab of this
 * one is open: the tab must let go of its connection, or the upgrade, and the newer app's page, waits
 * for as long as the tab stays open.
 */

/** The fixture build's index and model: the two files large enough to live in blob files. */
function bigFiles(): string[] {
  const manifest = parseManifest(JSON.parse(readFileSync(join(E2E_DATA_DIR, 'manifest.json'), 'utf8')));
  if (isShardedManifest(manifest)) throw new Error('expected the resident fixture');
  return [fileKey(manifest.index.sha256), fileKey(manifest.model.file.sha256)];
}

/** What a visit saw: the worker's status, and what reading each of `keys` straight from IndexedDB gives. */
interface Visit {
  status: WorkerStatus;
  /** The stored bytes' length, or the name of the error reading the entry threw. */
  stored: (number | string | null)[];
}

/** The bytes' length of each of `keys` in the data cache's store, null when absent, or the read's error name. */
function storedSizes(page: Page, keys: string[]): Promise<(number | string | null)[]> {
  return page.evaluate(
    ([db, storeName, keyList]) =>
      new Promise<(number | string | null)[]>((resolve, reject) => {
        const open = indexedDB.open(db);
        open.onerror = () => reject(open.error ?? new Error('IndexedDB did not open'));
        open.onsuccess = () => {
          const connection = open.result;
          const store = connection.transaction(storeName).objectStore(storeName);
          void Promise.all(
            keyList.map(
              (key) =>
                new Promise<number | string | null>((done) => {
                  const get = store.get(key);
                  get.onsuccess = () =>
                    done((get.result as { bytes?: ArrayBuffer } | undefined)?.bytes?.byteLength ?? null);
                  get.onerror = (event) => {
                    event.preventDefault();
                    done(get.error?.name ?? 'error');
                  };
                }),
            ),
          ).then((found) => {
            connection.close();
            resolve(found);
          });
        };
      }),
    [CACHE_DB_NAME, CACHE_STORE_NAME, keys] as const,
  );
}

/**
 * A visit in the persistent profile at `profile`: loads the collection, one search and the preload (which
 * reads the index and the model), then reads `keys` from IndexedDB itself.
 */
async function visit(profile: string, url: string, keys: string[]): Promise<Visit> {
  // A persistent context, so the profile's files stay on disk between visits and can be damaged.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    await waitForSearchApi(page);
    const status = await page.evaluate(async () => {
      const client = window.__lookalike!.searchClient;
      const info = await client.load('./data/');
      const items = await client.albumItems(info.albums[0].name, 0, 2);
      await client.searchById(items[1].id, 5);
      await client.preloadInBackground();
      return client.status();
    });
    // The HTTP cache answers for the host (the files are immutable), so what was stored is read directly.
    const stored = await storedSizes(page, keys);
    return { status, stored };
  } finally {
    await context.close();
  }
}

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

test('an IndexedDB entry whose stored file was lost is downloaded again and kept, not the whole cache given up', async () => {
  const profile = test.info().outputPath('profile');
  const keys = bigFiles();
  const { server } = await serveE2eBuild();
  try {
    const first = await visit(profile, server.url, keys);
    expect(first.status.storage.notKept).toEqual([]);
    const sizes = first.stored;
    expect(sizes.every((n) => typeof n === 'number' && n > 0)).toBe(true);

    const blobs = filesUnder(join(profile, 'Default', 'IndexedDB')).filter((f) => /\.blob[/\\]/.test(f));
    expect(blobs.length).toBeGreaterThanOrEqual(2);
    for (const blob of blobs) rmSync(blob);

    const damaged = await visit(profile, server.url, keys);
    // The lost entries were fetched again and stored anew: nothing is lost for later visits, no warning.
    expect(damaged.status.storage).toMatchObject({ notKept: [], reason: null });
    expect(damaged.status.model).toBe('ready');
    expect(damaged.stored).toEqual(sizes);

    const later = await visit(profile, server.url, keys);
    expect(later.status.storage).toMatchObject({ notKept: [], reason: null });
    expect(later.stored).toEqual(sizes);
  } finally {
    await server.close();
  }
});

test("a newer app's upgrade of the database is not blocked by an open tab, which keeps searching and storing", async ({
  browser,
}) => {
  const keys = bigFiles();
  const { server } = await serveE2eBuild();
  const context = await browser.newContext();
  try {
    const tab = await context.newPage();
    await tab.goto(server.url);
    await waitForSearchApi(tab);
    const id = await tab.evaluate(async () => {
      const client = window.__lookalike!.searchClient;
      const info = await client.load('./data/');
      const items = await client.albumItems(info.albums[0].name, 0, 2);
      await client.searchById(items[1].id, 5);
      return items[1].id;
    });

    // The newer app, in another tab: what its upgrade meets first, a blocked request or the database.
    const newer = await context.newPage();
    await newer.goto(server.url);
    const upgrade = await newer.evaluate(
      (db) =>
        new Promise<string>((resolve) => {
          const request = indexedDB.open(db, 2);
          request.onblocked = () => resolve('blocked');
          request.onerror = () => resolve(`failed: ${request.error?.name ?? 'unknown'}`);
          request.onsuccess = () => {
            request.result.close();
            resolve(`upgraded to ${request.result.version}`);
          };
        }),
      CACHE_DB_NAME,
    );
    expect(upgrade).toBe('upgraded to 2');

    // The open tab opens the database again on its next use: it searches, and stores the index and model.
    const after = await tab.evaluate(async (query) => {
      const client = window.__lookalike!.searchClient;
      const found = await client.searchById(query, 5);
      await client.preloadInBackground();
      return { results: found.results.length, status: await client.status() };
    }, id);
    expect(after.results).toBe(5);
    expect(after.status.storage).toMatchObject({ notKept: [], reason: null });
    expect((await storedSizes(tab, keys)).every((n) => typeof n === 'number' && n > 0)).toBe(true);
  } finally {
    await context.close();
    await server.close();
  }
});
