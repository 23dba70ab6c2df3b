import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from '../testing/builderCli';

/*
 * npm run generate-resnet50's command line. Each run names an --out in a temp folder: were --help
 * ignored, the generation would write there, not over generated/models.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'generate-resnet50-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const out = path.join(dir, 'r50.onnx');

describe('npm run generate-resnet50', () => {
  it('prints its usage for -h and --help and generates nothing', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runScript('models/resnet50Generator.ts', ['--out', out, flag]);
      expect(run.code, flag).toBe(0);
      expect(run.stdout, flag).toMatch(/^Usage: generate-resnet50 \[options\]/);
      expect(run.stdout, flag).toMatch(/--out <file>[\s\S]*--seed <n>/);
      expect(run.stderr, flag).toBe('');
    }
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an unknown option and a seed that is not a whole number in one line, with exit 1', async () => {
    const unknown = await runScript('models/resnet50Generator.ts', ['--out', out, '--sed', '2']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: unknown option '--sed'\n(Did you mean --seed?)\n");
    const seed = await runScript('models/resnet50Generator.ts', ['--out', out, '--seed', 'two']);
    expect(seed.code).toBe(1);
    expect(seed.stderr).toBe(
      "error: option '--seed <n>' argument 'two' is invalid. expected a whole number, got 'two'\n",
    );
    expect(existsSync(out)).toBe(false);
  });
});
