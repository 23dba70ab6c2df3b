import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from './buildIndex';
import { itemIdFor } from './contentHash';
import { emojiPng, makeFixtureCollection, shapePng } from './fixtures/makeFixtures';
import { FolderSource } from './folderSource';
import { loadModel } from './loadModel';
import { runCli } from './testHelpers';

interface Line {
  query?: string;
  id?: string;
  error?: string;
  results?: { id: string; album: string; name: string; score: number }[];
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
    outDir: out,
    model: await loadModel(),
    cacheDir: join(root, 'cache'),
  });
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function query(args: string[]): Promise<{ code: number | null; lines: Line[]; stderr: string }> {
  const run = await runCli('queryCli.ts', ['--index', out, '--json', ...args]);
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

  it('reports an unreadable image on its own line and still answers the others', async () => {
    const junk = join(root, 'junk.png');
    await writeFile(junk, 'no pixels here');
    const good = join(root, 'shape.png');
    await writeFile(good, await shapePng(9));
    const { code, lines } = await query(['--k', '3', junk, join(root, 'missing.png'), good]);
    expect(code).toBe(0);
    expect(lines.map((l) => [l.query, l.error === undefined ? 'ok' : 'error'])).toEqual([
      [junk, 'error'],
      [join(root, 'missing.png'), 'error'],
      [good, 'ok'],
    ]);
    expect(lines[0].error).toMatch(/unsupported image format/);
    expect(lines[2].results).toHaveLength(3);
  });

  it('exits non-zero only when every query failed, and for an unknown id', async () => {
    const all = await query(['--k', '3', join(root, 'missing.png'), '--id', 'ffffffffffff']);
    expect(all.code).not.toBe(0);
    expect(all.lines.map((l) => l.error)).toEqual([
      expect.stringMatching(/no item with id/),
      expect.stringMatching(/ENOENT/),
    ]);
  });

  it('fails clearly for a folder that is not a data dir', async () => {
    const run = await runCli('queryCli.ts', ['--index', root, '--k', '3', join(src, 'faces/apple_joy.png')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/has no manifest.json/);
  });
});
