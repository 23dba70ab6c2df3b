import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emojiPng } from '../testing/builderFixtures';
import { runCli } from '../testing/builderCli';
import { ensureDefaultModel } from '../models/ensureModel';

/*
 * npm run build-index from a folder other than the package root: npm starts the CLI in the package root
 * (the child's cwd here) and says in INIT_CWD where the user ran it; relative paths are the user's.
 */

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'build-index-cli-'));
  await mkdir(join(root, 'shop', 'faces'), { recursive: true });
  for (const name of ['1f600.png', '1f602.png', '1f60d.png'])
    await copyFile(emojiPng('apple', name), join(root, 'shop', 'faces', name));
  // A model spec of the user's own, next to its model file (loadModel reads `file` relative to the spec).
  const model = await ensureDefaultModel({ quiet: true });
  await mkdir(join(root, 'models'));
  await copyFile(model.onnxPath, join(root, 'models', model.spec.file));
  await copyFile(model.specPath, join(root, 'models', 'spec.json'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('npm run build-index', () => {
  it('takes --source, --data-dir, --cache and a --model spec path from the folder npm was run in', async () => {
    const args = [
      '--source',
      './shop',
      '--data-dir',
      'site-data',
      '--cache',
      'cache',
      '--model',
      'models/spec.json',
      '--quiet',
    ];
    const run = await runCli('buildIndexCli.ts', args, { INIT_CWD: root });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^indexed 3 images \(3 featurized, 0 cached\)/);
    expect(existsSync(join(root, 'site-data', 'manifest.json'))).toBe(true);
    expect((await readdir(join(root, 'cache'))).length).toBeGreaterThan(0);

    // Said as the folder it is, not as a walk from the package root.
    const again = await runCli('buildIndexCli.ts', args, { INIT_CWD: root });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`up to date: ${join(root, 'site-data')} already holds 3 images`);
  });
});
