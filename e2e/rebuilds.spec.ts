import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { openCollection } from '../core/openCollection';
import { ShardedCollection } from '../core/shardedCollection';
import { parseManifest } from '../core/manifest';
import { fileDataSource } from '../storage/fileDataSource';
import { startServer } from '../scripts/serve';
import { albumName, smileysEveryVendorDraws, vendorImageDir } from '../testing/fixtureImages';
import { E2E_DIR, E2E_DIST_DIR, loadCollection, searchById } from './harness';
import { REPO_ROOT } from '../testing/repoRoot';

/*
 * A tab stays open while the data dir is rebuilt, twice, with other images each time. The first rebuild
 * keeps the tab's build on disk (a data dir holds the current and the previous build's files); the
 * second deletes it. The tab then meets missing files (thumbnails; item shards when sharded), re-reads
 * the manifest, switches to the newest build, says so, and an album-image search still completes.
 */

const VENDORS = ['apple', 'google'] as const;
const PER_ALBUM = 10;

/** Makes `dir` hold exactly the images of build `n`: albums Apple and Google, other emoji each build. */
function writeImageSet(dir: string, n: number): void {
  const emoji = smileysEveryVendorDraws().slice(n * PER_ALBUM, (n + 1) * PER_ALBUM);
  if (emoji.length < PER_ALBUM) throw new Error('the emoji-datasource packages look incomplete');
  rmSync(dir, { recursive: true, force: true });
  for (const vendor of VENDORS) {
    const album = join(dir, albumName(vendor));
    mkdirSync(album, { recursive: true });
    for (const e of emoji)
      copyFileSync(join(vendorImageDir(vendor), e.image), join(album, `${e.short_name}.png`));
  }
}

type Layout = 'resident' | 'sharded';

const run = promisify(execFile);
const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

/** A build the way people run it: build-index, or the sharded fixture's small cells and shards. */
async function build(layout: Layout, images: string, out: string): Promise<void> {
  const args =
    layout === 'resident'
      ? ['index-builder/buildIndexCli.ts', '--source', images, '--data-dir', out, '--quiet']
      : ['e2e/buildShardedFixture.ts', images, out];
  await run(tsx, args, { cwd: REPO_ROOT });
}

/** A folder of the test's own (`name`), holding the first image set and its build. */
async function builtFirstSet(
  name: string,
  layout: Layout,
): Promise<{ dir: string; images: string; out: string }> {
  const dir = join(E2E_DIR, `${name}-${process.pid}`);
  const images = join(dir, 'images');
  const out = join(dir, 'data');
  rmSync(dir, { recursive: true, force: true });
  writeImageSet(images, 0);
  await build(layout, images, out);
  return { dir, images, out };
}

/** A tab on a site serving `out`, its two albums listed; `close` ends the tab and the server. */
async function openTab(browser: Browser, out: string): Promise<{ page: Page; close: () => Promise<void> }> {
  const server = await startServer({ distDir: E2E_DIST_DIR, dataDir: out, port: 0 });
  const context = await browser.newContext();
  const close = async () => {
    await context.close();
    await server.close();
  };
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await expect(page.getByTestId('album')).toHaveCount(2);
    return { page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Ids and thumbnails of the build `out` holds now. */
async function currentItems(out: string): Promise<{ id: string; thumb: string }[]> {
  const manifest = parseManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
  return (await openCollection(manifest, fileDataSource(out))).everyItem();
}

const cellIds = (page: Page) =>
  page.getByTestId('grid-cell').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-id') ?? ''));

for (const layout of ['resident', 'sharded'] as const) {
  test(`a tab on a ${layout} build switches to the new build after two rebuilds, says so and still searches`, async ({
    browser,
  }) => {
    const { dir, images, out } = await builtFirstSet(`rebuilds-${layout}`, layout);
    const first = await currentItems(out);
    const tab = await openTab(browser, out);
    try {
      const { page } = tab;

      // Two rebuilds with other images: the second one deletes what the open tab's build uses.
      writeImageSet(images, 1);
      await build(layout, images, out);
      expect(first.every((it) => existsSync(join(out, it.thumb)))).toBe(true);
      writeImageSet(images, 2);
      await build(layout, images, out);
      expect(first.some((it) => existsSync(join(out, it.thumb)))).toBe(false);
      const third = new Set((await currentItems(out)).map((it) => it.id));
      expect(first.some((it) => third.has(it.id))).toBe(false);

      // The album the tab lists is still named in the new build, with other images.
      await page.locator('[data-album="Apple"] a').click();
      await expect(page.getByTestId('status-data-updated')).toHaveText(
        'The collection was updated — showing the new version.',
      );
      await expect.poll(() => cellIds(page)).toHaveLength(PER_ALBUM);
      await expect.poll(async () => (await cellIds(page)).every((id) => third.has(id))).toBe(true);

      await page.getByTestId('grid-cell').first().click();
      const results = page.getByTestId('result');
      await expect(results).toHaveCount(5);
      const resultIds = await results.evaluateAll((cards) =>
        cards.map((c) => c.getAttribute('data-id') ?? ''),
      );
      expect(resultIds.every((id) => third.has(id))).toBe(true);
      // Their thumbnails are there: nothing broken on the page.
      await expect
        .poll(() =>
          results
            .locator('img')
            .evaluateAll((imgs) =>
              imgs.every(
                (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
              ),
            ),
        )
        .toBe(true);
      await expect(page.getByTestId('index-error')).toHaveCount(0);
    } finally {
      await tab.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a sharded worker asked for an album page of a deleted build answers from the new build', async ({
  browser,
}) => {
  const { dir, images, out } = await builtFirstSet('rebuilds-worker', 'sharded');
  const firstManifest = parseManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
  const firstBuild = await openCollection(firstManifest, fileDataSource(out));
  if (!(firstBuild instanceof ShardedCollection)) throw new Error('expected a sharded build');
  const firstShards = `/data/${firstBuild.reader.catalog.dir}`;
  const paths: string[] = [];
  const server = await startServer({
    distDir: E2E_DIST_DIR,
    dataDir: out,
    port: 0,
    onRequest: ({ method, path }) => {
      if (method === 'GET') paths.push(path.split('?')[0]);
    },
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    const info = await loadCollection(page);
    expect(info.layout).toBe('sharded');
    writeImageSet(images, 1);
    await build('sharded', images, out);
    writeImageSet(images, 2);
    await build('sharded', images, out);
    const third = new Set((await currentItems(out)).map((it) => it.id));
    paths.splice(0);

    // The page asks the worker for items it never fetched: their shard is gone, the worker switches.
    const items = await page.evaluate(() => window.__lookalike!.searchClient.albumItems('Google', 0, 10));
    expect(items).toHaveLength(PER_ALBUM);
    expect(items.every((it) => third.has(it.id))).toBe(true);
    // It asked for the deleted shard once, then re-read the manifest.
    const missed = paths.findIndex((p) => p.startsWith(firstShards));
    expect(missed).toBeGreaterThanOrEqual(0);
    expect(paths.indexOf('/data/manifest.json', missed)).toBeGreaterThan(missed);
    const { results } = await searchById(page, items[0].id, 3);
    expect(results).toHaveLength(3);
    expect(results.every((r) => third.has(r.id))).toBe(true);
  } finally {
    await context.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tab left open while the data dir is rebuilt shows the new build when the person comes back to it', async ({
  browser,
}) => {
  const { dir, images, out } = await builtFirstSet('rebuilds-return', 'resident');
  const tab = await openTab(browser, out);
  try {
    const { page } = tab;
    // One rebuild: the tab's build is still on disk, so nothing it reads goes missing.
    writeImageSet(images, 1);
    await build('resident', images, out);
    const second = new Set((await currentItems(out)).map((it) => it.id));
    // The person switches to another tab and back.
    await page.evaluate(() => {
      for (const state of ['hidden', 'visible']) {
        Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }
    });
    await expect(page.getByTestId('status-data-updated')).toHaveText(
      'The collection was updated — showing the new version.',
    );
    await page.locator('[data-album="Apple"] a').click();
    await expect.poll(() => cellIds(page)).toHaveLength(PER_ALBUM);
    await expect.poll(async () => (await cellIds(page)).every((id) => second.has(id))).toBe(true);
  } finally {
    await tab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
