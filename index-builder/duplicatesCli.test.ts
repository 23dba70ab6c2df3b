import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../core/formatBytes';
import { PLANTED_COPIES, PLANTED_COPIES_ALBUM, writeDuplicatesFixtureImages } from '../testing/fixtureImages';
import { buildIndex } from './buildIndex';
import { DEFAULT_DUPLICATE_THRESHOLDS } from './duplicateDetection';
import { FolderSource } from './folderSource';
import { loadModel } from './loadModel';
import { runCli, runCliIntoClosedPipe } from '../testing/builderCli';
import { dataDirFlagProblems } from '../testing/dataDirFlag';

/*
 * npm run duplicates on the e2e duplicates fixture (30 emoji + the planted copies of
 * testing/fixtureImages.ts), built resident and sharded: the planted groups and nothing else, the same
 * from both layouts, and clear errors for what is not a build with duplicate groups.
 */

interface JsonMember {
  id: string;
  album: string;
  name: string;
  width: number;
  height: number;
  bytes: number | null;
  score: number;
}
interface JsonOutput {
  strictness: string;
  threshold: number;
  thresholdSource: string;
  totalGroups: number;
  totalImages: number;
  groups: { minScore: number; members: JsonMember[] }[];
}

let root: string;
let images: string;
let resident: string;
let sharded: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'duplicates-cli-'));
  images = join(root, 'images');
  resident = join(root, 'resident');
  sharded = join(root, 'sharded');
  await writeDuplicatesFixtureImages(images);
  const model = await loadModel();
  const cacheDir = join(root, 'cache');
  await buildIndex({ source: new FolderSource(images), dataDir: resident, model, cacheDir });
  await buildIndex({
    source: new FolderSource(images),
    dataDir: sharded,
    model,
    cacheDir,
    layout: 'sharded',
    rowsPerCell: 3,
    shardSize: 4,
  });
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function duplicatesJson(dir: string, strictness?: string): Promise<JsonOutput> {
  const run = await runCli('duplicatesCli.ts', [
    '--data-dir',
    dir,
    '--json',
    ...(strictness ? ['--strictness', strictness] : []),
  ]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as JsonOutput;
}

/** Each group as sorted `album/name` keys. */
const groupKeys = (out: JsonOutput) =>
  out.groups.map((g) => g.members.map((m) => `${m.album}/${m.name}`).sort());

/** The planted groups whose copies all reach the level (PLANTED_COPIES' measured scores, see there). */
const planted = (files: string[]) => {
  const bySource = new Map<string, string[]>();
  for (const c of PLANTED_COPIES.filter((p) => files.includes(p.file))) {
    const key = `${c.source.album}/${c.source.emoji}.png`;
    bySource.set(key, [...(bySource.get(key) ?? [key]), `${PLANTED_COPIES_ALBUM}/${c.file}`]);
  }
  return [...bySource.values()].map((g) => g.sort());
};

describe('npm run duplicates', () => {
  it('prints exactly the planted groups, stricter levels nested in looser ones', async () => {
    const near = await duplicatesJson(resident, 'near-identical');
    const very = await duplicatesJson(resident);
    const similar = await duplicatesJson(resident, 'similar');
    expect(near.thresholdSource).toBe('default');
    expect(very).toMatchObject({
      strictness: 'very-similar',
      threshold: DEFAULT_DUPLICATE_THRESHOLDS['very-similar'],
    });
    const sorted = (g: string[][]) => [...g].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(sorted(groupKeys(near))).toEqual(sorted(planted(['upside_down_face_copy.png', 'joy_copy.png'])));
    expect(sorted(groupKeys(very))).toEqual(
      sorted(planted(['upside_down_face_copy.png', 'joy_copy.png', 'sweat_smile_brighter.png'])),
    );
    expect(sorted(groupKeys(similar))).toEqual(sorted(planted(PLANTED_COPIES.map((c) => c.file))));
    expect(similar.totalGroups).toBe(similar.groups.length);
    expect(similar.totalImages).toBe(similar.groups.reduce((n, g) => n + g.members.length, 0));
    // Largest first; each member with its pixel and file size and its score to the first.
    expect(similar.groups[0].members).toHaveLength(3);
    for (const g of similar.groups) {
      expect(g.members[0].score).toBe(1);
      for (const m of g.members) {
        expect(m.score).toBeGreaterThanOrEqual(g.minScore);
        expect(m.bytes).toBe((await stat(join(images, m.album, m.name))).size);
        expect([m.width, m.height]).toEqual([64, 64]);
      }
    }
  });

  it('gives the same groups from a sharded build', async () => {
    for (const s of ['near-identical', 'very-similar', 'similar']) {
      const a = await duplicatesJson(resident, s);
      const b = await duplicatesJson(sharded, s);
      expect(b).toEqual(a);
    }
  });

  it('prints groups for people: sizes, scores and names', async () => {
    const run = await runCli('duplicatesCli.ts', ['--data-dir', resident, '--strictness', 'similar']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^similar: 3 groups, 7 images \(score ≥ 0\.75, from the builder's defaults/);
    expect(lines[1]).toMatch(/^group 1: 3 images, lowest score 0\.\d{4}$/);
    const member = lines[2].match(
      /^ {2}1\.0000 {2}(\S+\/\S+\.png) {2}64×64 {2}(\d+(?:\.\d+)? kB) {2}\([0-9a-f]+\)$/,
    );
    expect(member).not.toBeNull();
    // The size as the #/duplicates page shows it (one formatter, SI units) for the same file.
    expect(member![2]).toBe(formatBytes((await stat(join(images, member![1]))).size));
  });

  it('takes a relative --data-dir from the folder npm was run in (INIT_CWD)', async () => {
    // npm run starts the CLI in the package root (the child's cwd here), and says in INIT_CWD where
    // the user was.
    const run = await runCli('duplicatesCli.ts', ['--data-dir', 'resident', '--json'], { INIT_CWD: root });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(await duplicatesJson(resident));
  });

  it('ends quietly with 0 when the reader of its output goes away (`| head -1`)', async () => {
    const run = await runCliIntoClosedPipe('duplicatesCli.ts', ['--data-dir', resident]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('takes the old --index as before', async () => {
    const byOldName = await runCli('duplicatesCli.ts', ['--index', resident, '--json']);
    expect(byOldName.code).toBe(0);
    expect(JSON.parse(byOldName.stdout)).toEqual(await duplicatesJson(resident));
  });

  it('calls the data dir --data-dir in --help, and refuses it with --index for another folder', async () => {
    expect(await dataDirFlagProblems('index-builder/duplicatesCli.ts', '--index', [])).toEqual([]);
    const help = await runCli('duplicatesCli.ts', ['--help']);
    expect(help.stdout).toMatch(/--data-dir <dir>\s+[^\n]*\(required\)\n/);
  });

  it('says what is wrong with a missing dir, an older build and a bad strictness', async () => {
    const missing = await runCli('duplicatesCli.ts', ['--data-dir', join(root, 'nothing')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nothing does not exist: give the data dir npm run build-index wrote/);

    const old = join(root, 'old');
    await buildIndex({
      source: new FolderSource(images),
      dataDir: old,
      model: await loadModel(),
      cacheDir: join(root, 'cache'),
    });
    const manifestPath = join(old, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    delete manifest.duplicates;
    await writeFile(manifestPath, JSON.stringify(manifest));
    const before = await runCli('duplicatesCli.ts', ['--data-dir', old]);
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/built without duplicate groups \(an older build\): rebuild it/);

    const bad = await runCli('duplicatesCli.ts', ['--data-dir', resident, '--strictness', 'loose']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/near-identical, very-similar, similar/);
  });
});
