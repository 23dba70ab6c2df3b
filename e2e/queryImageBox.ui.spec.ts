import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import sharp from 'sharp';
import { startServer, type RunningServer } from '../scripts/serve';
import { loadDataDir } from '../testing/loadDataDir';
import { REPO_ROOT } from '../testing/repoRoot';
import { E2E_DIR, E2E_DIST_DIR } from './harness';

/*
 * The query image's box on a results page fits the image. It was a fixed min(50vh, 420px) tall, so a
 * 6000×500 panorama was drawn 94 px tall at 1280 px (27 px at 390) in the middle of ~320 px of blank
 * box. Now the box is as tall as the image drawn at the width there is, up to that height: a panorama's
 * box is its picture, a portrait still fills the height, a small image is still drawn large. The box
 * drawn over it to search a region lines up with the picture in every case. A collection of its own,
 * built by build-index: a panorama, a portrait and a small square.
 */

const DIR = join(E2E_DIR, `ui-query-box-${process.pid}`);
const ALBUM = 'Shapes';
/** name → pixel size of the image written to the collection. */
const IMAGES = {
  panorama: { width: 6000, height: 500 },
  portrait: { width: 500, height: 2000 },
  square: { width: 96, height: 96 },
} as const;
type ImageName = keyof typeof IMAGES;
/** The most the box may be: the old fixed height (src/app.css .query-frame img). */
const MAX_BOX = (viewportHeight: number) => Math.min(viewportHeight / 2, 420);
/** Layout rounds to device pixels; more than this is a box that does not fit. */
const PX = 1.5;

/** A distinct picture of any size: stripes and a disc on a tinted ground, so the builder sees an image. */
function shape(width: number, height: number, hue: number): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="hsl(${hue},40%,85%)"/>` +
    `<rect x="0" y="${height / 3}" width="100%" height="${height / 3}" fill="hsl(${(hue + 120) % 360},70%,35%)"/>` +
    `<circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 3}" fill="hsl(${(hue + 240) % 360},80%,50%)"/>` +
    `</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

// The service worker is not what is tested, and requests it made would pass by page.route.
test.use({ serviceWorkers: 'block' });

let server: RunningServer;
/** The catalog's id and name of each image. */
const items = new Map<ImageName, { id: string; name: string }>();

test.beforeAll(async () => {
  const images = join(DIR, 'images');
  const data = join(DIR, 'data');
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(join(images, ALBUM), { recursive: true });
  for (const [i, [name, size]] of Object.entries(IMAGES).entries())
    writeFileSync(join(images, ALBUM, `${name}.png`), await shape(size.width, size.height, i * 100));
  await promisify(execFile)(
    join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    ['index-builder/buildIndexCli.ts', '--source', images, '--data-dir', data, '--quiet'],
    { cwd: REPO_ROOT },
  );
  for (const item of (await loadDataDir(data)).catalog.items) {
    const name = item.name.replace(/\.png$/, '') as ImageName;
    expect(item, `the catalog's size of ${item.name}`).toMatchObject(IMAGES[name]);
    items.set(name, { id: item.id, name: item.name });
  }
  expect([...items.keys()].sort()).toEqual(Object.keys(IMAGES).sort());
  server = await startServer({ distDir: E2E_DIST_DIR, dataDir: data, port: 0 });
});

test.afterAll(async () => {
  await server?.close();
  rmSync(DIR, { recursive: true, force: true });
});

interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}
interface QueryBox {
  /** The <img> element: the box the page gives the image. */
  box: Rect;
  /** Where the picture is drawn in it (object-fit: contain letterboxes it in a box of another shape). */
  picture: Rect;
  /** Where the figure's content could go: the most width the image may have. */
  available: number;
  /** The region selector's layer over the picture. */
  layer: Rect | null;
  /** Whether the picture itself has loaded (0×0 natural size before). */
  loaded: boolean;
}

/** The query image's box, its drawn picture and the region layer, in page pixels. */
function queryBox(page: Page): Promise<QueryBox> {
  return page.getByTestId('query-image').evaluate((figure) => {
    const img = figure.querySelector('.query-frame img') as HTMLImageElement;
    const rect = (el: Element): Rect => {
      const r = el.getBoundingClientRect();
      return { left: r.left, top: r.top, width: r.width, height: r.height };
    };
    const box = rect(img);
    // currentSrc: after a change of src the previous picture is shown (and measured) until the new one is in.
    const loaded = img.naturalWidth > 0 && img.currentSrc === img.src;
    // The catalog's size until the picture has loaded: what the page knows to lay it out.
    const aspect = loaded
      ? img.naturalWidth / img.naturalHeight
      : Number(img.getAttribute('width')) / Number(img.getAttribute('height'));
    const width = Math.min(box.width, box.height * aspect);
    const height = width / aspect;
    const picture = {
      left: box.left + (box.width - width) / 2,
      top: box.top + (box.height - height) / 2,
      width,
      height,
    };
    const style = getComputedStyle(figure);
    const available = figure.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const layer = figure.querySelector('[data-testid="region-layer"]');
    return { box, picture, available, layer: layer && rect(layer), loaded };
  });
}

async function openImage(page: Page, name: ImageName): Promise<QueryBox> {
  const { id, name: shownName } = items.get(name)!;
  await page.goto(`${server.url}#/search/${id}?k=2`);
  // The previous image stays on the page until this one's item has been fetched.
  await expect(page.getByTestId('query-name')).toHaveText(shownName);
  await expect(page.getByTestId('result')).toHaveCount(2);
  await expect.poll(async () => (await queryBox(page)).loaded, { message: `${name} loaded` }).toBe(true);
  return queryBox(page);
}

function expectNear(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} px, expected ${expected} px`).toBeLessThan(PX);
}

function expectRect(actual: Rect, expected: Rect, what: string): void {
  for (const key of ['left', 'top', 'width', 'height'] as const)
    expectNear(actual[key], expected[key], `${what}, ${key}`);
}

for (const viewport of [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
]) {
  test(`at ${viewport.width} px: a panorama's box is as tall as its picture, at the full width; a portrait and a small image fill the height`, async ({
    page,
  }) => {
    await page.setViewportSize(viewport);
    const maxBox = MAX_BOX(viewport.height);

    const panorama = await openImage(page, 'panorama');
    const drawnHeight = Math.min(panorama.available, maxBox * 12) / 12;
    // Before: a box of maxBox (400 px at 1280×800) around a picture 94 px tall.
    expectNear(panorama.box.height, drawnHeight, 'panorama box height');
    expectRect(panorama.box, panorama.picture, 'panorama box vs picture');
    expectNear(panorama.box.width, panorama.available, 'panorama box width');
    expectRect(panorama.layer!, panorama.picture, 'region layer over the panorama');

    // Tall and small images are drawn as before: maxBox tall (the small one scaled up), no wider than the picture.
    for (const name of ['portrait', 'square'] as const) {
      const shown = await openImage(page, name);
      const aspect = IMAGES[name].width / IMAGES[name].height;
      expectNear(shown.box.height, Math.min(maxBox, shown.available / aspect), `${name} box height`);
      expectRect(shown.box, shown.picture, `${name} box vs picture`);
      expectRect(shown.layer!, shown.picture, `region layer over the ${name}`);
    }
  });
}

test('the panorama’s box has its size before the picture arrives: nothing moves when it does', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  // The original is held back until the box has been measured without it.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/originals/**', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`${server.url}#/search/${items.get('panorama')!.id}?k=2`);
  await expect(page.getByTestId('result')).toHaveCount(2);
  const before = await queryBox(page);
  expect(before.loaded).toBe(false);
  release();
  await expect.poll(async () => (await queryBox(page)).loaded).toBe(true);
  const after = await queryBox(page);
  expectRect(before.box, after.box, 'box before vs after the picture loaded');
  expectRect(after.box, after.picture, 'box vs picture');
});
