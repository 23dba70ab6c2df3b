import { expect, test } from '@playwright/test';
import { labelText } from '../core/calibration';
import { loadDataDir, type LoadedDataDir } from '../testing/loadDataDir';
import { labelOutcome, queryById, type QueryResult } from '../index-builder/queryDataDir';
import { startServer, type RunningServer } from '../scripts/serve';
import { E2E_CALIBRATED_DATA_DIR, E2E_DATA_DIR, E2E_DIST_DIR } from './harness';

/*
 * Calibrated similarity (issue 14 item 2) on a collection big enough to be calibrated (1020 emoji):
 * labels next to scores, a cut-off control kept in the URL, and "no close match" instead of a row of
 * unrelated images. What each result should say comes from Node (`npm run query`'s labelling) on the
 * same data dir, so nothing here is hard-coded.
 */

const K = 10;
let server: RunningServer;
let data: LoadedDataDir;

test.beforeAll(async () => {
  data = await loadDataDir(E2E_CALIBRATED_DATA_DIR);
  server = await startServer({
    distDir: E2E_DIST_DIR,
    dataDir: E2E_CALIBRATED_DATA_DIR,
    port: 0,
    isolationHeaders: false,
  });
});
test.afterAll(async () => {
  await server.close();
});

async function labelled(id: string): Promise<QueryResult[]> {
  const outcome = labelOutcome(await queryById(data.collection, id, K), data.manifest.calibration ?? null);
  if (!('results' in outcome)) throw new Error(`query ${id} failed`);
  return outcome.results;
}

/** The first item (in catalog order) whose K results satisfy `wanted`. */
async function findQuery(
  wanted: (results: QueryResult[]) => boolean,
): Promise<{ id: string; results: QueryResult[] }> {
  for (const item of data.catalog.items) {
    const results = await labelled(item.id);
    if (wanted(results)) return { id: item.id, results };
  }
  throw new Error('no query in the calibrated fixture has the wanted results');
}

test('results carry the calibrated label; the cut-off hides the rest and survives a reload and a shared link', async ({
  page,
  browser,
}) => {
  expect(data.manifest.calibration).toBeDefined();
  // A query whose results span close matches and unrelated ones.
  const { id, results } = await findQuery(
    (rs) =>
      rs.some((r) => r.label === 'near-identical' || r.label === 'very-similar') &&
      rs.some((r) => r.label === 'unrelated'),
  );
  const visible = results.filter((r) => r.label !== 'unrelated');
  await page.goto(`${server.url}#/search/${id}?k=${K}`);
  await expect(page.getByTestId('result')).toHaveCount(visible.length);
  await expect(page.getByTestId('result-label')).toHaveText(visible.map((r) => labelText(r.label!)));
  await expect(page.getByTestId('results-hidden')).toContainText(`${K - visible.length} less similar`);

  const close = results.filter((r) => r.label === 'near-identical');
  await page.getByTestId('cut-off-select').selectOption('near-identical');
  await expect(page).toHaveURL(/&min=near-identical$/);
  const expectClose = async (p: typeof page) => {
    if (close.length === 0) await expect(p.getByTestId('no-close-match')).toBeVisible();
    else await expect(p.getByTestId('result')).toHaveCount(close.length);
  };
  await expectClose(page);

  await page.reload();
  await expect(page.getByTestId('cut-off-select')).toHaveValue('near-identical');
  await expectClose(page);

  const fresh = await browser.newContext();
  try {
    const shared = await fresh.newPage();
    await shared.goto(page.url());
    await expect(shared.getByTestId('cut-off-select')).toHaveValue('near-identical');
    await expectClose(shared);
  } finally {
    await fresh.close();
  }
});

test('when nothing passes the cut-off the page says "no close match", and can show the results anyway', async ({
  page,
}) => {
  const { id } = await findQuery((rs) => rs.every((r) => r.label !== 'near-identical'));
  await page.goto(`${server.url}#/search/${id}?k=${K}&min=near-identical`);
  await expect(page.getByTestId('no-close-match')).toBeVisible();
  await expect(page.getByTestId('result')).toHaveCount(0);
  await page.getByTestId('no-close-match').getByRole('button').click();
  await expect(page).toHaveURL(/&min=any$/);
  await expect(page.getByTestId('result')).toHaveCount(K);
  await expect(page.getByTestId('cut-off-select')).toHaveValue('unrelated');
});

test('a collection too small to calibrate shows raw scores and no cut-off control', async ({ page }) => {
  const small = await startServer({ distDir: E2E_DIST_DIR, dataDir: E2E_DATA_DIR, port: 0 });
  try {
    const manifest = (await (await fetch(new URL('data/manifest.json', small.url))).json()) as {
      calibration?: unknown;
    };
    expect(manifest.calibration).toBeUndefined();
    const catalog = (await (
      await fetch(new URL('data/' + (manifest as { catalog: { path: string } }).catalog.path, small.url))
    ).json()) as {
      albums: { cover: { id: string } }[];
    };
    await page.goto(`${small.url}#/search/${catalog.albums[0].cover.id}?k=5`);
    await expect(page.getByTestId('result')).toHaveCount(5);
    await expect(page.getByTestId('result-label')).toHaveCount(0);
    await expect(page.getByTestId('cut-off-select')).toHaveCount(0);
  } finally {
    await small.close();
  }
});
