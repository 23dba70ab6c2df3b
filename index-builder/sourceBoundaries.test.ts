import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from './buildIndex';
import type { BuildReport } from './buildReport';
import { contentHash, hash16 } from './contentAddress';
import { emojiPng } from '../testing/builderFixtures';
import { FolderSource } from './folderSource';
import { loadModel, type LoadedModel } from './loadModel';
import { runCli } from '../testing/builderCli';
import { verifyDataDir } from '../testing/dataDirChecks';
import { dataDirFlagProblems } from '../testing/dataDirFlag';
import { storedOriginalName } from '../storage/storedOriginal';

// A build reads only what lies inside its source folder, and never its own output.
let dir: string;
let model: LoadedModel;

/** Three emoji in album `faces` under `root`. */
async function threeImages(root: string): Promise<void> {
  await mkdir(join(root, 'faces'), { recursive: true });
  for (const name of ['1f600.png', '1f602.png', '1f60d.png']) {
    await copyFile(emojiPng('apple', name), join(root, 'faces', name));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'source-boundaries-'));
  model = await loadModel();
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a folder build', () => {
  it('reports a link out of the source and a link loop, and publishes neither', async () => {
    const root = join(dir, 'linked');
    await threeImages(root);
    const secret = emojiPng('google', '1f436.png');
    await mkdir(join(dir, 'private'));
    await copyFile(secret, join(dir, 'private', 'dog.png'));
    await symlink(join(dir, 'private', 'dog.png'), join(root, 'faces', 'escape.png'));
    await symlink('..', join(root, 'faces', 'loop'));
    const out = join(dir, 'linked-out');

    const { report } = await buildIndex({
      source: new FolderSource(root),
      dataDir: out,
      model,
      cacheDir: join(dir, 'cache'),
    });
    expect(report.counts).toMatchObject({ listed: 5, indexed: 3, skipped: 2 });
    expect(report.skipped.map((s) => [s.key, s.reason])).toEqual([
      ['faces/escape.png', 'outside-source'],
      ['faces/loop/', 'symlink-loop'],
    ]);
    const { catalog } = await verifyDataDir(out);
    expect(catalog.items).toHaveLength(3);
    const secretHash = contentHash(await readFile(secret));
    const secretName = hash16(secretHash);
    const secretOriginal = storedOriginalName(secretHash, 'png', false).slice('originals/'.length);
    expect(await readdir(join(out, 'originals'))).not.toContain(secretOriginal);
    expect((await readdir(join(out, 'thumbs'))).filter((f) => f.startsWith(secretName))).toEqual([]);
  });

  it('with --data-dir inside --source leaves the data dir out of the listing and says so', async () => {
    const root = join(dir, 'nested');
    await threeImages(root);
    const out = join(root, 'site-data');
    const args = ['--source', root, '--data-dir', out, '--cache', join(dir, 'cache'), '--quiet'];
    const first = await runCli('buildIndexCli.ts', args);
    expect(first.stderr).not.toMatch(/build-index:/);
    expect(first.stdout).toMatch(/indexed 3 images .*1 skipped/);
    expect(first.stdout).toMatch(
      /skipped site-data\/: build-output: the data dir this build writes \(--data-dir\) is inside the source/,
    );
    const report = JSON.parse(await readFile(join(out, 'build-report.json'), 'utf8')) as BuildReport;
    expect(report.skipped).toEqual([expect.objectContaining({ key: 'site-data/', reason: 'build-output' })]);
    // The thumbnails and originals it wrote are not new images for the next build.
    const again = await runCli('buildIndexCli.ts', args);
    expect(again.stdout).toMatch(/^up to date: .* already holds 3 images/);
  });

  it('refuses an empty path, a bad --bits, a file in the way and an unknown model name, writing nothing', async () => {
    // An unset shell variable gives '', which would have meant the current folder (the repo here).
    const out = join(dir, 'never');
    const cases: [string[], RegExp][] = [
      [
        ['--source', '', '--data-dir', out],
        /option '--source <location>' argument '' is invalid\. must not be empty/,
      ],
      [['--source', dir, '--data-dir', ''], /'--data-dir <dir>' argument '' is invalid\. must not be empty/],
      // The old name, as before.
      [['--source', dir, '--out', ''], /'--out <dir>' argument '' is invalid\. must not be empty/],
      [['--source', dir, '--data-dir', out, '--cache', ' '], /'--cache <dir>' argument ' ' is invalid/],
      [
        ['--source', dir, '--data-dir', out, '--bits', '5'],
        /'--bits <n>' argument '5' is invalid\. must be a multiple of 32/,
      ],
    ];
    // And what only the build can find out, still before it writes: a file where a folder must be, a
    // model name that is not one.
    const aFile = join(dir, 'a-file');
    await writeFile(aFile, 'x');
    await threeImages(join(dir, 'some'));
    const some = ['--source', join(dir, 'some'), '--quiet'];
    cases.push(
      [[...some, '--data-dir', aFile], /the data dir \S+a-file cannot be made: a file is in the way/],
      // The old name still names the data dir the build writes.
      [[...some, '--out', aFile], /the data dir \S+a-file cannot be made: a file is in the way/],
      [[...some, '--data-dir', out, '--cache', aFile], /ENOTDIR|EEXIST/],
      [
        [...some, '--data-dir', out, '--model', 'resnet'],
        /cannot read model spec resnet: ENOENT \(built-in models: mobilenet_v2/,
      ],
    );
    for (const [args, message] of cases) {
      const run = await runCli('buildIndexCli.ts', args);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    expect(await readdir(dir)).not.toContain('never');
  });

  it('calls the data dir --data-dir in --help, and refuses it with --out for another folder', async () => {
    expect(await dataDirFlagProblems('index-builder/buildIndexCli.ts', '--out', ['--source', dir])).toEqual(
      [],
    );
  });

  it('names skipped files with their control characters spelled out', async () => {
    const root = join(dir, 'named');
    await threeImages(root);
    await writeFile(join(root, 'faces', 'x\u001b]0;owned\u0007\nforged.png'), 'not an image');
    const run = await runCli('buildIndexCli.ts', [
      '--source',
      root,
      '--data-dir',
      join(dir, 'named-out'),
      '--quiet',
    ]);
    expect(run.code).toBe(0);
    expect([...run.stdout].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
    expect(run.stdout).toContain('skipped faces/x\\u{1b}]0;owned\\u{7}\\u{a}forged.png: unsupported');
  });
});
