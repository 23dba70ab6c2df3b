import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { CatalogItem } from '../core/catalog';
import {
  contentAddressedName,
  fileRefFor,
  parseManifest,
  residentManifest,
  type ResidentManifest as Manifest,
} from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { decodeIndex } from '../core/indexFormat';
import { WIDE_DIMS, assembleIndex } from '../index-builder/assembleIndex';
import { residentDims } from '../index-builder/publishSettings';
import { buildResidentCatalog } from '../index-builder/shardedCatalog';
import { fileDataSource } from '../storage/fileDataSource';
import { startServer, type RunningServer } from '../scripts/serve';
import { E2E_DATA_DIR, E2E_DIST_DIR, E2E_DIR } from './harness';

/*
 * An album of 11,000 images must scroll like a small one: the grid keeps only the rows near the
 * viewport in the DOM. The collection is synthetic: random vectors (so id searches work on a real
 * 11k-row index) whose catalog items reuse the fixture's thumbnails. Own-image search is not used here,
 * so the vectors need not come from the model. The index is the one a build of this many images gets:
 * 256 int4 dims (index v5), so the page's worker reads and searches that format here.
 */

const COUNT = 11_000;
const ALBUM = 'Everything';
const BIG_DATA_DIR = join(E2E_DIR, 'ui-big-album', 'data');

function randomUnitVectors(count: number, dim: number): Float32Array[] {
  let state = 0x9e3779b9;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: dim }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

async function writeBigDataDir(): Promise<void> {
  const manifest: Manifest = residentManifest(
    parseManifest(JSON.parse(readFileSync(join(E2E_DATA_DIR, 'manifest.json'), 'utf8'))),
  );
  const fixture = await (await openCollection(manifest, fileDataSource(E2E_DATA_DIR))).everyItem();
  rmSync(BIG_DATA_DIR, { recursive: true, force: true });
  mkdirSync(BIG_DATA_DIR, { recursive: true });
  for (const dir of ['thumbs', 'originals'])
    cpSync(join(E2E_DATA_DIR, dir), join(BIG_DATA_DIR, dir), { recursive: true });
  cpSync(join(E2E_DATA_DIR, manifest.model.file.path), join(BIG_DATA_DIR, manifest.model.file.path));

  const dims = residentDims(COUNT);
  const { bytes: indexBytes, order } = await assembleIndex(randomUnitVectors(COUNT, 320), {
    modelId: manifest.model.id,
    dims,
  });
  expect(decodeIndex(indexBytes).dims).toBe(WIDE_DIMS);
  // Ids are hex, as the catalog's id shards need; listed in vector order, each at its index row.
  const items = Array.from({ length: COUNT }, (_, i): CatalogItem => {
    const source = fixture[i % fixture.length];
    return { ...source, id: `b${i.toString(16).padStart(11, '0')}`, album: ALBUM, name: `Image ${i + 1}` };
  });
  const rowOf = new Uint32Array(COUNT);
  order.forEach((i, row) => (rowOf[i] = row));
  const catalog = buildResidentCatalog(items, rowOf);
  const indexPath = contentAddressedName('index', 'bin', indexBytes);
  const catalogPath = contentAddressedName('catalog', 'json', catalog.indexBytes);
  writeFileSync(join(BIG_DATA_DIR, indexPath), indexBytes);
  writeFileSync(join(BIG_DATA_DIR, catalogPath), catalog.indexBytes);
  for (const [path, bytes] of catalog.files) {
    mkdirSync(dirname(join(BIG_DATA_DIR, path)), { recursive: true });
    writeFileSync(join(BIG_DATA_DIR, path), bytes);
  }
  const big: Manifest = {
    ...manifest,
    // Album-image queries of this test search the index: the fixture's neighbour lists are for 30 images.
    neighbours: undefined,
    count: COUNT,
    index: fileRefFor(indexPath, indexBytes),
    catalog: fileRefFor(catalogPath, catalog.indexBytes),
  };
  writeFileSync(join(BIG_DATA_DIR, 'manifest.json'), JSON.stringify(big, null, 2));
}

let server: RunningServer;

test.beforeAll(async () => {
  await writeBigDataDir();
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
