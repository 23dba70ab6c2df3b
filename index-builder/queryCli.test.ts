import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from './buildIndex';
import { itemIdFor } from './itemId';
import { emojiPng, FIXTURE_KEYS, makeFixtureCollection, shapePng } from '../testing/builderFixtures';
import { FolderSource } from './folderSource';
import { loadModel } from './loadModel';
import { runCli, runCliIntoClosedPipe } from '../testing/builderCli';
import { dataDirFlagProblems } from '../testing/dataDirFlag';
import { MIN_CALIBRATED_IMAGES } from './similarityCalibration';

interface Line {
  query?: string;
  id?: string;
  error?: string;
  results?: { id: string; album: string; name: string; score: number }[];
  region?: string;
}

let root: string;
let out: string;
let src: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'query-cli-'));
  src = join(root, 'src');
  out = join(root, 'out');
  await makeFixtureCollection(src);
  await buildIndex({
    source: new FolderSource(src),
    dataDir: out,
    model: await loadModel(),
    cacheDir: join(root, 'cache'),
  });
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function query(args: string[]): Promise<{ code: number | null; lines: Line[]; stderr: string }> {
  const run = await runCli('queryCli.ts', ['--data-dir', out, '--json', ...args]);
  const lines = run.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
  return { code: run.code, lines, stderr: run.stderr };
}

describe('npm run query', () => {
  it('returns k results, best first, for an image that is not in the index', async () => {
    const outside = emojiPng('twitter', '1f431.png'); // the fixture has Apple's cat, not Twitter's
    const { code, lines } = await query(['--k', '5', outside]);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line.query).toBe(outside);
    expect(line.results).toHaveLength(5);
    const scores = line.results!.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const r of line.results!) expect(r.id).toBe(itemIdFor(`${r.album}/${r.name}`));
  });

  it('ranks an indexed image like a search by its stored vector (minus the self match)', async () => {
    const k = 6;
    const key = 'animals/apple_dog.png';
    const byImage = await query(['--k', String(k + 1), join(src, key)]);
    const byId = await query(['--k', String(k), '--id', itemIdFor(key)]);
    expect(byImage.code).toBe(0);
    expect(byId.code).toBe(0);
    const imageResults = byImage.lines[0].results!;
    expect(imageResults[0].id).toBe(itemIdFor(key));
    expect(imageResults[0].score).toBeCloseTo(1, 6);
    const rest = imageResults.slice(1);
    const stored = byId.lines[0].results!;
    expect(byId.lines[0].id).toBe(itemIdFor(key));
    expect(rest.map((r) => r.id)).toEqual(stored.map((r) => r.id));
    rest.forEach((r, i) => expect(r.score).toBeCloseTo(stored[i].score, 6));
  });

  it('reports an unreadable image on its own line, still answers the others, and exits 1', async () => {
    const junk = join(root, 'junk.png');
    await writeFile(junk, 'no pixels here');
    const good = join(root, 'shape.png');
    await writeFile(good, await shapePng(9));
    const { code, lines } = await query(['--k', '3', junk, join(root, 'missing.png'), good]);
    // A partly answered run is a failed one for a script; the JSON lines still say which query failed.
    expect(code).toBe(1);
    expect(lines.map((l) => [l.query, l.error === undefined ? 'ok' : 'error'])).toEqual([
      [junk, 'error'],
      [join(root, 'missing.png'), 'error'],
      [good, 'ok'],
    ]);
    expect(lines[0].error).toMatch(/unsupported image format/);
    expect(lines[2].results).toHaveLength(3);
  });

  it('prints control characters in names spelled out, not to the terminal', async () => {
    const evil = join(root, 'evil\u001b[2J\nforged.png');
    await writeFile(evil, await shapePng(9));
    const run = await runCli('queryCli.ts', ['--data-dir', out, '--k', '2', evil]);
    expect(run.code).toBe(0);
    expect([...run.stdout].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
    expect(run.stdout).toContain('evil\\u{1b}[2J\\u{a}forged.png:');
    expect(run.stdout.split('\n').filter((l) => l.startsWith('forged'))).toEqual([]);
  });

  it('exits 1 when any query failed, and for an unknown id; 0 only when every query was answered', async () => {
    const all = await query(['--k', '3', join(root, 'missing.png'), '--id', 'ffffffffffff']);
    expect(all.code).toBe(1);
    expect(all.lines.map((l) => l.error)).toEqual([
      expect.stringMatching(/no item with id/),
      expect.stringMatching(/ENOENT/),
    ]);
    const good = join(src, 'faces/apple_joy.png');
    const one = await query(['--k', '3', good, '--id', 'ffffffffffff']);
    expect(one.code).toBe(1);
    expect((await query(['--k', '3', good, '--id', itemIdFor('animals/apple_dog.png')])).code).toBe(0);
    const help = await runCli('queryCli.ts', ['--help']);
    expect(help.stdout).toMatch(/Exit status: 0 when every query was answered; 1 when any failed/);
  });

  it('prints the results on stdout and a failed query on stderr, not among the results', async () => {
    const good = join(src, 'faces/apple_joy.png');
    const missing = join(root, 'missing.png');
    const run = await runCli('queryCli.ts', ['--data-dir', out, '--k', '2', good, missing]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${good}:\n`);
    expect(run.stdout).not.toContain(missing);
    expect(run.stderr).toMatch(new RegExp(`^${missing}: error: .*ENOENT`, 'm'));
  });

  it('prints every score within [-1, 1]: a self-match rounded a step above 1 prints as 1', async () => {
    const files = FIXTURE_KEYS.map((key) => join(src, key));
    const { lines } = await query(['--k', '3', ...files]);
    expect(lines).toHaveLength(files.length);
    const scores = lines.flatMap((l) => l.results!.map((r) => r.score));
    expect(scores.filter((s) => s > 1 || s < -1)).toEqual([]);
    // Each file finds itself first: the scores that rounding can push over 1.
    expect(lines.map((l) => l.results![0].score)).toEqual(files.map(() => expect.closeTo(1, 6)));
  });

  it('takes relative paths from the folder npm was run in (INIT_CWD), and prints them as given', async () => {
    // npm run starts the CLI in the package root (the child's cwd here), and says in INIT_CWD where
    // the user was.
    const image = join('src', 'animals', 'apple_dog.png');
    const run = await runCli('queryCli.ts', ['--data-dir', 'out', '--json', '--k', '2', image], {
      INIT_CWD: root,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const line = JSON.parse(run.stdout) as Line;
    expect(line.query).toBe(image);
    expect(line.results![0].id).toBe(itemIdFor('animals/apple_dog.png'));
  });

  it('ends quietly with 0 when the reader of its output goes away (`| head -1`)', async () => {
    const image = join(src, 'faces/apple_joy.png');
    const run = await runCliIntoClosedPipe('queryCli.ts', ['--data-dir', out, image, image]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('says why --min has no calibration to cut at: a build of fewer images than calibrations need', async () => {
    const run = await runCli('queryCli.ts', ['--data-dir', out, '--min', 'similar', '--id', 'x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `--min needs a build with a calibration; ${out} has none: it holds \\d+ images, and builds of ` +
          `fewer than ${MIN_CALIBRATED_IMAGES} images get none`,
      ),
    );
    expect(run.stderr).not.toContain('rebuild');
  });

  it('--region searches the same crop of an album image by id as of its file, and not the whole image', async () => {
    const key = 'animals/apple_dog.png';
    const region = ['--region', '0,0.5,0.6,0.5'];
    const byId = await query(['--k', '5', ...region, '--id', itemIdFor(key)]);
    const byFile = await query(['--k', '5', ...region, join(src, key)]);
    const whole = await query(['--k', '5', join(src, key)]);
    expect(byId.code).toBe(0);
    expect(byId.lines).toHaveLength(1);
    expect(byId.lines[0]).toMatchObject({ id: itemIdFor(key), region: '0,0.5,0.6,0.5' });
    const ids = (l: Line) => l.results!.map((r) => r.id);
    // The data dir's original of a PNG is the file itself, so both crop the same pixels.
    expect(ids(byId.lines[0])).toEqual(ids(byFile.lines[0]));
    byId.lines[0].results!.forEach((r, i) =>
      expect(r.score).toBeCloseTo(byFile.lines[0].results![i].score, 6),
    );
    // Half of the dog is not the dog: it no longer matches itself perfectly.
    expect(whole.lines[0].results![0].score).toBeCloseTo(1, 6);
    expect(byId.lines[0].results![0].score).toBeLessThan(0.99);
  });

  it('--region covering the whole image gives the plain search', async () => {
    const file = join(src, 'faces/apple_joy.png');
    const full = await query(['--k', '4', '--region', '0,0,1,1', file]);
    const plain = await query(['--k', '4', file]);
    expect(full.lines[0].results).toEqual(plain.lines[0].results);
  });

  it('rejects a malformed --region before searching', async () => {
    for (const bad of ['0.1,0.2,0.3', 'a,b,c,d', '0.1,0.1,0,0.5', '2,2,0.5,0.5']) {
      const run = await runCli('queryCli.ts', ['--data-dir', out, '--region', bad, '--id', 'x']);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(
        /--region <x,y,w,h>' argument .* is invalid\. (expected x,y,w,h|x,y,w,h must be numbers|width and height must be positive|the region lies outside)/,
      );
      expect(run.stdout).toBe('');
    }
  });

  it('takes the old --index as before', async () => {
    const id = itemIdFor('animals/apple_dog.png');
    const byOldName = await runCli('queryCli.ts', ['--index', out, '--json', '--k', '3', '--id', id]);
    expect(byOldName.code).toBe(0);
    const lines = (await query(['--k', '3', '--id', id])).lines;
    expect(lines[0].results).toHaveLength(3);
    expect(JSON.parse(byOldName.stdout)).toEqual(lines[0]);
  });

  it('calls the data dir --data-dir in --help, and refuses it with --index for another folder', async () => {
    expect(await dataDirFlagProblems('index-builder/queryCli.ts', '--index', [])).toEqual([]);
  });

  it('fails clearly for a folder that is not a data dir', async () => {
    const run = await runCli('queryCli.ts', [
      '--data-dir',
      root,
      '--k',
      '3',
      join(src, 'faces/apple_joy.png'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/has no manifest.json/);
    // A mistyped folder is named as missing, not as one without a manifest.
    const nowhere = join(root, 'nowhere');
    const missing = await runCli('queryCli.ts', ['--data-dir', nowhere, '--id', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `query: ${nowhere} does not exist: give the data dir npm run build-index wrote\n`,
    );
  });

  it('refuses a run with nothing to query as commander refuses bad flags: error:, exit 1', async () => {
    const run = await runCli('queryCli.ts', ['--data-dir', out]);
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({
      code: 1,
      stderr: 'error: give at least one image or --id\n',
      stdout: '',
    });
  });

  it('marks --data-dir required in --help and prints no empty default for --id', async () => {
    const help = (await runCli('queryCli.ts', ['--help'])).stdout;
    expect(help).toMatch(/--data-dir <dir>\s+data dir written by build-index \(required\)\n/);
    expect(help).toMatch(/--id <id>\s+query by an indexed item id \(repeatable\)\n/);
    expect(help).not.toContain('(default: [])');
  });
});
