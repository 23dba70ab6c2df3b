import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from '@playwright/test';
import {
  contentAddressedName,
  fileRefFor,
  parseManifest,
  residentManifest,
  type ResidentManifest as Manifest,
} from '../core/manifest';
import { ResidentCollection } from '../core/residentCollection';
import { buildResidentCatalog } from '../index-builder/shardedCatalog';
import { openDataDir } from '../index-builder/openDataDir';
import { startServer } from '../scripts/serve';
import {
  E2E_DATA_DIR,
  E2E_DIR,
  E2E_DIST_DIR,
  allItems,
  loadCollection,
  searchById,
  workerStatus,
} from './harness';

/*
 * What the worker does when the data dir changes under it or is incomplete: a new build (new manifest,
 * new content-addressed files) replaces the cached one, and a missing model only disables own-image search.
 */

function readManifest(dir: string): Manifest {
  return residentManifest(parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))));
}

/** A private copy of the fixture data dir that a test may change. */
function copyDataDir(name: string): string {
  const dir = join(E2E_DIR, `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(E2E_DATA_DIR, dir, { recursive: true });
  return dir;
}

test('a new build of the data dir replaces the cached one, and files of the old build are dropped', async ({
  browser,
}) => {
  const dir = copyDataDir('data-update');
  const server = await startServer({ distDir: E2E_DIST_DIR, dataDir: dir, port: 0 });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    const firstItems = await allItems(page, await loadCollection(page));

    // Publish a new build the way the builder does: new content-addressed catalog, manifest last.
    const manifest = readManifest(dir);
    const { collection } = await openDataDir(dir);
    if (!(collection instanceof ResidentCollection)) throw new Error('the fixture is a resident build');
    const rowOf = new Map((await collection.itemsInRowOrder()).map((it, row) => [it.id, row]));
    const items = await collection.everyItem();
    const catalog = buildResidentCatalog(
      items.map((it) => ({ ...it, name: `renamed ${it.name}` })),
      items.map((it) => rowOf.get(it.id)!),
    );
    const bytes = catalog.indexBytes;
    const path = contentAddressedName('catalog', 'json', bytes);
    writeFileSync(join(dir, path), bytes);
    for (const [shard, shardBytes] of catalog.files) {
      mkdirSync(dirname(join(dir, shard)), { recursive: true });
      writeFileSync(join(dir, shard), shardBytes);
    }
    const next: Manifest = {
      ...manifest,
      createdAt: new Date().toISOString(),
      catalog: fileRefFor(path, bytes),
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(next));

    await page.reload();
    const second = await loadCollection(page);
    const secondItems = await allItems(page, second);
    expect(secondItems.map((it) => it.name)).toEqual(firstItems.map((it) => `renamed ${it.name}`));
    // The index did not change, so only the manifest and the new catalog index were downloaded on load.
    expect(second.fetchedBytes).toBeLessThan(bytes.length + 10_000);
    const id = secondItems[2].id;
    const { results } = await searchById(page, id, 3);
    expect(results).toHaveLength(3);
    expect(results.every((r) => r.item.name.startsWith('renamed '))).toBe(true);
    const cachedKeys = await page.evaluate(async () => {
      const open = indexedDB.open('lookalike');
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const request = db.transaction('files').objectStore('files').getAllKeys();
      const keys = await new Promise<IDBValidKey[]>(
        (resolve) => (request.onsuccess = () => resolve(request.result)),
      );
      db.close();
      return keys.map(String);
    });
    expect(cachedKeys).toContain(`file:${next.catalog.sha256}`);
    expect(cachedKeys).not.toContain(`file:${manifest.catalog.sha256}`);
  } finally {
    await context.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without its model file the collection still loads and album search works; own-image search says why not', async ({
  browser,
}) => {
  const dir = copyDataDir('data-no-model');
  const manifest = readManifest(dir);
  rmSync(join(dir, manifest.model.file.path));
  const server = await startServer({ distDir: E2E_DIST_DIR, dataDir: dir, port: 0 });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    const [first] = await allItems(page, await loadCollection(page));
    expect((await searchById(page, first.id, 3)).results).toHaveLength(3);
    const error = await page.evaluate(() =>
      window.__lookalike!.searchClient.preloadInBackground().then(
        () => null,
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      ),
    );
    expect(error).toContain(manifest.model.file.path);
    expect(error).toContain('404');
    const status = await workerStatus(page);
    expect(status.model).toBe('failed');
    expect(status.modelError).toContain('404');
    expect(status.collectionLoaded).toBe(true);
  } finally {
    await context.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
