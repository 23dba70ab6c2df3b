import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '../testing/builderCli';
import { dataDirFlagProblems } from '../testing/dataDirFlag';

/*
 * npm run demo-data's options only: building the demo index takes minutes, so the data dir it is given
 * is a file, which the build refuses at once after assembling the images (into a folder of the test's).
 */

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'demo-data-cli-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('npm run demo-data', () => {
  it('builds into the data dir that --data-dir, or the old --out, names', async () => {
    const aFile = join(root, 'a-file');
    await writeFile(aFile, 'x');
    for (const name of ['--data-dir', '--out']) {
      const run = await runScript('scripts/demoData.ts', ['--images', join(root, 'images'), name, aFile]);
      expect(run.code, name).not.toBe(0);
      expect(run.stderr, name).toMatch(/the data dir \S+a-file cannot be made: a file is in the way/);
    }
  });

  it('calls the data dir --data-dir in --help, and refuses it with --out for another folder', async () => {
    const images = join(root, 'refused-images');
    expect(await dataDirFlagProblems('scripts/demoData.ts', '--out', ['--images', images])).toEqual([]);
    // Refused before it copies a single image.
    expect(existsSync(images)).toBe(false);
  });
});
