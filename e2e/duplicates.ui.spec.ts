import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { labelText, similarityLabel, type SimilarityCalibration } from '../core/calibration';
import {
  DEFAULT_DUPLICATE_STRICTNESS,
  DUPLICATE_STRICTNESS,
  type DuplicateStrictness,
} from '../core/duplicatesFormat';
import type { CatalogItem } from '../core/catalog';
import type { DuplicateGroupsPage } from '../core/duplicatesReader';
import { parseManifest } from '../core/manifest';
import { openDuplicates } from '../index-builder/readDuplicates';
import { startServer, type RunningServer } from '../scripts/serve';
import { formatBytes } from '../core/formatBytes';
import { formatScore } from '../src/search/formatScore';
import { GROUPS_PER_PAGE } from '../src/duplicates/duplicateList';
import { E2E_CALIBRATED_DATA_DIR, E2E_DATA_DIR, E2E_DIST_DIR, E2E_DUPLICATES_DATA_DIR } from './harness';
import { REPO_ROOT } from '../testing/repoRoot';
import { parseCsv } from '../testing/parseCsv';
import { PLANTED_COPIES, PLANTED_COPIES_ALBUM } from '../testing/fixtureImages';

/*
 * The duplicates page (issue 14 item 1) on the fixture with planted near-duplicates: what it lists,
 * at each strictness, is what `npm run duplicates -- --json` prints for the same data dir, so nothing
 * here is hard-coded; the strictness lives in the URL; arrow keys move between groups and images; the
 * JSON and CSV exports read back to the CLI's groups.
 */

/** A member as the CLI prints it: the catalog fields a person decides by, and its score. */
type CliMember = Pick<CatalogItem, 'id' | 'album' | 'name' | 'width' | 'height'> & {
  bytes: number | null;
  score: number;
};
/** The CLI's --json document: a page of every group (the fields of the worker's answer it shares). */
type CliGroups = Pick<DuplicateGroupsPage, 'strictness' | 'threshold' | 'totalGroups' | 'totalImages'> & {
  groups: { minScore: number; members: CliMember[] }[];
};

/** `npm run duplicates -- --data-dir <dir> --strictness <s> --json`. */
function cliGroups(dir: string, strictness: DuplicateStrictness): CliGroups {
  const run = spawnSync(
    'npm',
    ['run', '--silent', 'duplicates', '--', '--data-dir', dir, '--strictness', strictness, '--json'],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  if (run.status !== 0)
    throw new Error(`duplicates CLI failed (${run.status}): ${run.stderr}\n${run.stdout}`);
  return JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as CliGroups;
}

const idsOf = (groups: { members: { id: string }[] }[]) => groups.map((g) => g.members.map((m) => m.id));

let server: RunningServer;
let cli: Record<DuplicateStrictness, CliGroups>;
let calibration: SimilarityCalibration | null;

function calibrationOf(dir: string): SimilarityCalibration | null {
  return parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).calibration ?? null;
}

test.beforeAll(async () => {
  cli = Object.fromEntries(
    DUPLICATE_STRICTNESS.map((s) => [s, cliGroups(E2E_DUPLICATES_DATA_DIR, s)]),
  ) as Record<DuplicateStrictness, CliGroups>;
  calibration = calibrationOf(E2E_DUPLICATES_DATA_DIR);
  server = await startServer({ distDir: E2E_DIST_DIR, dataDir: E2E_DUPLICATES_DATA_DIR, port: 0 });
});
test.afterAll(async () => {
  await server.close();
});

/** A group as a sorted list of `album/name`, so groups compare as sets. */
function memberKeys(members: readonly { album: string; name: string }[]): string[] {
  return members.map((m) => `${m.album}/${m.name}`).sort();
}

/** The planted families: each source image with every copy planted from it. */
function plantedFamilies(): string[][] {
  const bySource = new Map<string, string[]>();
  for (const c of PLANTED_COPIES) {
    const source = `${c.source.album}/${c.source.emoji}.png`;
    bySource.set(source, [...(bySource.get(source) ?? [source]), `${PLANTED_COPIES_ALBUM}/${c.file}`]);
  }
  return [...bySource.values()].map((f) => f.sort());
}

test('the groups are the planted copies: exactly their families at the loosest strictness, never anything else', () => {
  const families = plantedFamilies();
  const loosest = DUPLICATE_STRICTNESS[DUPLICATE_STRICTNESS.length - 1];
  const sortGroups = (gs: string[][]) => [...gs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  expect(sortGroups(cli[loosest].groups.map((g) => memberKeys(g.members)))).toEqual(sortGroups(families));
  for (const s of DUPLICATE_STRICTNESS) {
    for (const g of cli[s].groups) {
      const keys = memberKeys(g.members);
      // A stricter level may split a family, never join images from different ones.
      expect(families.some((f) => keys.every((k) => f.includes(k)))).toBe(true);
    }
    // A lossless re-encode has the same pixels: it is grouped with its source at every strictness.
    for (const c of PLANTED_COPIES.filter((p) => p.edit === 'lossless re-encode')) {
      const pair = [`${c.source.album}/${c.source.emoji}.png`, `${PLANTED_COPIES_ALBUM}/${c.file}`];
      expect(cli[s].groups.some((g) => pair.every((k) => memberKeys(g.members).includes(k)))).toBe(true);
    }
  }
});

/** Groups the page has loaded (only those near the viewport are in the DOM: the grid is virtualised). */
function loadedGroups(page: Page): Promise<number> {
  return page
    .getByTestId('duplicate-groups')
    .getAttribute('data-loaded-groups')
    .then((n) => Number(n));
}

/**
 * What the member cards of the first `count` groups (default: all loaded) show, read from the page,
 * scrolling down through the virtualised grid from the top.
 */
async function shownGroups(page: Page, count?: number) {
  const want = count ?? (await loadedGroups(page));
  const seen = new Map<
    number,
    {
      id: string;
      name: string | null;
      album: string | null;
      pixels: string | null;
      bytes: string | null;
      score: string | null;
      label: string | null;
    }[]
  >();
  await page.evaluate(() => window.scrollTo(0, 0));
  for (let stuck = 0; seen.size < want && stuck < 3;) {
    const rows = await page.getByTestId('duplicate-group').evaluateAll((groups) =>
      groups.map((group) => ({
        index: Number(group.getAttribute('aria-rowindex')) - 1,
        members: [...group.querySelectorAll<HTMLElement>('[data-testid="duplicate-member"]')].map((m) => {
          const text = (id: string) => m.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
          return {
            id: m.dataset.id ?? '',
            name: text('duplicate-name'),
            album: text('duplicate-album'),
            pixels: text('duplicate-pixels'),
            bytes: text('duplicate-bytes'),
            score: text('duplicate-score'),
            label: text('duplicate-label'),
          };
        }),
      })),
    );
    const before = seen.size;
    for (const row of rows) if (row.index < want) seen.set(row.index, row.members);
    stuck = seen.size === before ? stuck + 1 : 0;
    await page.evaluate(
      () =>
        new Promise((resolve) => {
          window.scrollBy(0, window.innerHeight / 2);
          requestAnimationFrame(() => requestAnimationFrame(resolve));
        }),
    );
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, members]) => members);
}

/** The same, as the page should show the CLI's groups. */
function expectedGroups(groups: CliGroups['groups'], labels = calibration) {
  return groups.map((g) =>
    g.members.map((m, i) => ({
      id: m.id,
      name: m.name,
      album: m.album,
      pixels: `${m.width}×${m.height}`,
      bytes: m.bytes === null ? null : formatBytes(m.bytes),
      // The first member is the reference the others are scored against.
      score: i === 0 ? null : formatScore(m.score),
      label: i === 0 || labels === null ? null : labelText(similarityLabel(m.score, labels)),
    })),
  );
}

/** Shows every group (the page loads more as the reader scrolls; the button does the same). */
async function showAllGroups(page: Page, total: number): Promise<void> {
  for (;;) {
    await expect(page.getByTestId('duplicates-summary')).toBeVisible();
    if ((await loadedGroups(page)) >= total) break;
    await page.getByTestId('more-groups').click();
  }
  await expect.poll(() => loadedGroups(page)).toBe(total);
}

test('the page lists the groups the CLI prints, largest first, and the home page links to it', async ({
  page,
}) => {
  const expected = cli[DEFAULT_DUPLICATE_STRICTNESS];
  // The fixture plants edited copies: there is something to find.
  expect(expected.totalGroups).toBeGreaterThan(0);

  await page.goto(server.url);
  const link = page.getByTestId('duplicates-link');
  await expect(link).toHaveText(
    `${expected.totalGroups} ${expected.totalGroups === 1 ? 'group' : 'groups'} of near-duplicates`,
  );
  await link.click();
  await expect(page).toHaveURL(/#\/duplicates$/);
  await expect(page).toHaveTitle('Duplicates · Lookalike');
  await expect(page.getByTestId('nav-duplicates')).toHaveAttribute('aria-current', 'page');

  await showAllGroups(page, expected.totalGroups);
  expect(await shownGroups(page)).toEqual(expectedGroups(expected.groups));
  await expect(page.getByTestId('duplicates-summary')).toContainText(
    `${expected.totalGroups} ${expected.totalGroups === 1 ? 'group' : 'groups'} of ${expected.totalImages} images`,
  );

  // Clicking an image opens its search page.
  const target = expected.groups[0].members[1];
  await page.locator(`[data-testid="duplicate-member"][data-id="${target.id}"]`).click();
  await expect(page).toHaveURL(new RegExp(`#/search/${target.id}\\?k=5$`));
  await expect(page.getByTestId('query-name')).toHaveText(target.name);
});

test('strictness refilters the groups without a rebuild, keeps focus on the control, and lives in the URL', async ({
  page,
  browser,
}) => {
  const other = DUPLICATE_STRICTNESS.find(
    (s) =>
      JSON.stringify(idsOf(cli[s].groups)) !==
      JSON.stringify(idsOf(cli[DEFAULT_DUPLICATE_STRICTNESS].groups)),
  );
  if (other === undefined)
    throw new Error('the duplicates fixture has the same groups at every strictness: plant a looser copy');
  const expected = cli[other];

  await page.goto(`${server.url}#/duplicates`);
  await expect(page.getByTestId('duplicates-summary')).toBeVisible();
  const select = page.getByTestId('strictness-select');
  await select.focus();
  await select.selectOption(other);
  await expect(page).toHaveURL(new RegExp(`#/duplicates\\?strictness=${other}$`));
  await expect(select).toBeFocused();
  const check = async (p: Page) => {
    if (expected.totalGroups === 0) {
      await expect(p.getByTestId('no-duplicates')).toContainText('No duplicates at this strictness');
      return;
    }
    await showAllGroups(p, expected.totalGroups);
    expect(await shownGroups(p)).toEqual(expectedGroups(expected.groups));
  };
  await check(page);

  await page.reload();
  await expect(page.getByTestId('strictness-select')).toHaveValue(other);
  await check(page);

  const fresh = await browser.newContext();
  try {
    const shared = await fresh.newPage();
    await shared.goto(page.url());
    await expect(shared.getByTestId('strictness-select')).toHaveValue(other);
    await check(shared);
  } finally {
    await fresh.close();
  }
});

test('arrow keys move between groups and images with visible focus, Enter opens the image', async ({
  page,
}) => {
  const { groups } = cli[DEFAULT_DUPLICATE_STRICTNESS];
  if (groups.length < 2) throw new Error('the duplicates fixture needs two groups at the default strictness');
  await page.goto(`${server.url}#/duplicates`);
  const members = page.getByTestId('duplicate-member');
  await expect(members.first()).toBeVisible();
  // One image of the grid is in the tab order.
  await expect(page.locator('[data-testid="duplicate-member"][tabindex="0"]')).toHaveCount(1);

  const focusedId = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id);
  await page.getByTestId('strictness-select').focus();
  // Tab from the control reaches the grid (past the two export buttons).
  for (let i = 0; i < 3 && (await focusedId()) !== groups[0].members[0].id; i++)
    await page.keyboard.press('Tab');
  expect(await focusedId()).toBe(groups[0].members[0].id);

  await page.keyboard.press('ArrowRight');
  expect(await focusedId()).toBe(groups[0].members[1].id);
  await page.keyboard.press('ArrowDown');
  expect(await focusedId()).toBe(groups[1].members[Math.min(1, groups[1].members.length - 1)].id);
  await page.keyboard.press('Home');
  expect(await focusedId()).toBe(groups[1].members[0].id);
  await page.keyboard.press('ArrowUp');
  expect(await focusedId()).toBe(groups[0].members[0].id);
  await page.keyboard.press('End');
  expect(await focusedId()).toBe(groups[0].members.at(-1)!.id);

  const focused = page.locator(':focus');
  // The name starts with what the card shows, in its order: the image's name, then its score.
  const last = groups[0].members.at(-1)!;
  await expect(focused).toHaveAccessibleName(
    new RegExp(`^${escapeRegExp(last.name)}, ${escapeRegExp(formatScore(last.score))}, `),
  );
  const outline = await focused.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe('none');

  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/search/${groups[0].members.at(-1)!.id}\\?k=5$`));
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('the JSON and CSV exports hold every group the CLI prints', async ({ page }) => {
  const expected = cli[DEFAULT_DUPLICATE_STRICTNESS];
  await page.goto(`${server.url}#/duplicates`);
  await expect(page.getByTestId('duplicates-summary')).toBeVisible();

  const download = async (testId: string) => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
    const path = await file.path();
    return { name: file.suggestedFilename(), text: readFileSync(path, 'utf8') };
  };

  const json = await download('export-json');
  expect(json.name).toBe(`duplicates-${DEFAULT_DUPLICATE_STRICTNESS}.json`);
  const exported = JSON.parse(json.text) as CliGroups;
  expect(exported).toMatchObject({
    strictness: expected.strictness,
    threshold: expected.threshold,
    totalGroups: expected.totalGroups,
    totalImages: expected.totalImages,
  });
  expect(exported.groups.map((g) => ({ minScore: g.minScore, members: g.members.map(cliFields) }))).toEqual(
    expected.groups.map((g) => ({ minScore: g.minScore, members: g.members.map(cliFields) })),
  );

  const csv = await download('export-csv');
  expect(csv.name).toBe(`duplicates-${DEFAULT_DUPLICATE_STRICTNESS}.csv`);
  const [header, ...rows] = parseCsv(csv.text);
  const col = (row: string[], name: string) => row[header.indexOf(name)];
  const fromCsv: CliGroups['groups'] = [];
  for (const row of rows) {
    const g = Number(col(row, 'group')) - 1;
    fromCsv[g] ??= { minScore: Number(col(row, 'group_min_score')), members: [] };
    fromCsv[g].members.push({
      id: col(row, 'id'),
      album: col(row, 'album'),
      name: col(row, 'name'),
      width: Number(col(row, 'width')),
      height: Number(col(row, 'height')),
      bytes: col(row, 'bytes') === '' ? null : Number(col(row, 'bytes')),
      score: Number(col(row, 'score')),
    });
  }
  expect(fromCsv.map((g) => ({ minScore: g.minScore, members: g.members.map(cliFields) }))).toEqual(
    expected.groups.map((g) => ({ minScore: g.minScore, members: g.members.map(cliFields) })),
  );
});

function cliFields({ id, album, name, width, height, bytes, score }: CliMember): CliMember {
  return { id, album, name, width, height, bytes, score };
}

test('a strictness without groups and a build without a duplicates file each say so', async ({ page }) => {
  // The plain fixture has no planted copies: its strictest level is expected to be empty.
  const plain = await openDuplicates(E2E_DATA_DIR);
  const empty = DUPLICATE_STRICTNESS.find((s) => plain.reader.counts()[s] === 0);
  if (empty === undefined) throw new Error('the plain fixture has groups at every strictness');
  const plainServer = await startServer({ distDir: E2E_DIST_DIR, dataDir: E2E_DATA_DIR, port: 0 });
  try {
    await page.goto(`${plainServer.url}#/duplicates?strictness=${empty}`);
    await expect(page.getByTestId('no-duplicates')).toContainText('No duplicates at this strictness');
    await expect(page.getByTestId('duplicate-group')).toHaveCount(0);
  } finally {
    await plainServer.close();
  }

  // An older build: the same data dir with the duplicates entry taken out of its manifest.
  const older = mkdtempSync(join(tmpdir(), 'lookalike-no-duplicates-'));
  try {
    cpSync(E2E_DATA_DIR, older, { recursive: true });
    const manifestPath = join(older, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    delete manifest.duplicates;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const olderServer = await startServer({ distDir: E2E_DIST_DIR, dataDir: older, port: 0 });
    try {
      await page.goto(olderServer.url);
      await expect(page.getByTestId('collection-summary')).toBeVisible();
      await expect(page.getByTestId('duplicates-link')).toHaveCount(0);
      await page.getByTestId('nav-duplicates').click();
      await expect(page.getByTestId('duplicates-unavailable')).toBeVisible();
      await expect(page.getByTestId('strictness-select')).toHaveCount(0);
    } finally {
      await olderServer.close();
    }
  } finally {
    rmSync(older, { recursive: true, force: true });
  }
});

test('hundreds of groups load a page at a time as the reader goes, with calibrated labels; the export holds them all', async ({
  page,
}) => {
  // The 1020-emoji fixture is calibrated and has hundreds of groups (an emoji's skin tones, vendors).
  const expected = cliGroups(E2E_CALIBRATED_DATA_DIR, DEFAULT_DUPLICATE_STRICTNESS);
  const labels = calibrationOf(E2E_CALIBRATED_DATA_DIR);
  expect(labels).not.toBeNull();
  expect(expected.totalGroups).toBeGreaterThan(2 * GROUPS_PER_PAGE);
  const big = await startServer({ distDir: E2E_DIST_DIR, dataDir: E2E_CALIBRATED_DATA_DIR, port: 0 });
  try {
    await page.goto(`${big.url}#/duplicates`);
    await expect.poll(() => loadedGroups(page)).toBe(GROUPS_PER_PAGE);
    expect(await shownGroups(page, GROUPS_PER_PAGE)).toEqual(
      expectedGroups(expected.groups.slice(0, GROUPS_PER_PAGE), labels),
    );

    // Moving down with the keyboard past the loaded groups brings the next ones.
    await page.locator('[data-testid="duplicate-member"][data-group="0"]').first().focus();
    await page.keyboard.press('Control+End');
    await expect.poll(() => loadedGroups(page)).toBeGreaterThan(GROUPS_PER_PAGE);
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    // Focus lands once the grid has scrolled to the group (it is not rendered before).
    await expect
      .poll(() => page.evaluate(() => Number((document.activeElement as HTMLElement).dataset.group)))
      .toBeGreaterThanOrEqual(GROUPS_PER_PAGE);
    // Scrolling to the end brings more as well.
    const before = await loadedGroups(page);
    if (before < expected.totalGroups) {
      await page.getByTestId('more-groups').scrollIntoViewIfNeeded();
      await expect.poll(() => loadedGroups(page)).toBeGreaterThan(before);
    }
    const shown = await shownGroups(page);
    expect(shown).toEqual(expectedGroups(expected.groups.slice(0, shown.length), labels));

    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-json').click(),
    ]);
    const exported = JSON.parse(readFileSync(await file.path(), 'utf8')) as CliGroups;
    expect(idsOf(exported.groups)).toEqual(idsOf(expected.groups));
  } finally {
    await big.close();
  }
});

test('arrow keys made while the next groups load are kept, and Back returns to the image left from', async ({
  page,
}) => {
  const expected = cliGroups(E2E_CALIBRATED_DATA_DIR, DEFAULT_DUPLICATE_STRICTNESS);
  expect(expected.totalGroups).toBeGreaterThan(2 * GROUPS_PER_PAGE);
  const big = await startServer({ distDir: E2E_DIST_DIR, dataDir: E2E_CALIBRATED_DATA_DIR, port: 0 });
  const focused = () =>
    page.evaluate(() => {
      const e = document.activeElement as HTMLElement;
      return { group: Number(e.dataset.group), id: e.dataset.id ?? e.tagName };
    });
  // The worker answers for groups 1.5 s late once asked to (as a large collection's next page comes
  // late), so that presses reach the last loaded group before the next page does.
  await page.addInitScript(() => {
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
      const path = (args[0] as { path?: unknown } | null)?.path;
      const slow = (window as { slowGroups?: boolean }).slowGroups === true;
      if (slow && Array.isArray(path) && path.includes('duplicateGroups')) {
        setTimeout(() => post.apply(this, args), 1_500);
        return;
      }
      post.apply(this, args);
    } as Worker['postMessage'];
  });
  try {
    await page.goto(`${big.url}#/duplicates`);
    await expect.poll(() => loadedGroups(page)).toBe(GROUPS_PER_PAGE);
    await page.evaluate(() => ((window as { slowGroups?: boolean }).slowGroups = true));
    await page.getByTestId('duplicate-member').first().focus();
    // Before, the presses made at the last loaded group while the next page was on its way were lost,
    // and focus ended on that group.
    const presses = GROUPS_PER_PAGE + 6;
    for (let i = 0; i < presses; i++) await page.keyboard.press('ArrowDown');
    await expect.poll(async () => (await focused()).group).toBe(presses);
    const left = await focused();
    expect(left.id).toBe(expected.groups[presses].members[0].id);
    const loaded = await loadedGroups(page);
    expect(loaded).toBeGreaterThan(presses);
    // Virtualised: only the groups near the viewport are in the DOM, however many are loaded.
    expect(await page.getByTestId('duplicate-group').count()).toBeLessThan(loaded / 2);

    await page.evaluate(() => ((window as { slowGroups?: boolean }).slowGroups = false));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`#/search/${left.id}`));
    await page.goBack();
    // Before, the page started again at the first 30 groups, at the top, focus on the page.
    await expect.poll(focused).toEqual(left);
    await expect.poll(() => loadedGroups(page)).toBe(loaded);
    await expect(page.locator(`[data-testid="duplicate-member"][data-id="${left.id}"]`)).toBeInViewport();
  } finally {
    await big.close();
  }
});
