import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from '../testing/builderCli';

/*
 * npm run bench's command line. Each run names --quick and an --out in a temp folder: were --help
 * ignored, the run would be the short one and write there, not over bench/results.json and the docs.
 */

const out = mkdtempSync(path.join(tmpdir(), 'bench-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run bench', () => {
  it('prints its usage for -h and --help and measures nothing', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runScript('bench/runBench.ts', ['--quick', '--out', out, flag]);
      expect(run.code, flag).toBe(0);
      expect(run.stdout, flag).toMatch(/^Usage: bench \[options\]/);
      for (const option of [
        '--quick',
        '--out <dir>',
        '--ann-dir <dir>',
        '--report <results.json>',
        '--only <areas>',
      ])
        expect(run.stdout, flag).toContain(option);
      expect(run.stdout, flag).not.toContain('[bench');
      expect(run.stderr, flag).toBe('');
    }
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses an unknown option or area in one line, with exit 1', async () => {
    const unknown = await runScript('bench/runBench.ts', ['--quick', '--out', out, '--quik']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: unknown option '--quik'\n(Did you mean --quick?)\n");
    const area = await runScript('bench/runBench.ts', ['--quick', '--out', out, '--only', 'duplicate']);
    expect(area.code).toBe(1);
    expect(area.stderr).toMatch(
      /^error: option '--only <areas>' argument 'duplicate' is invalid\. unknown area "duplicate" \(areas: .*\)\n$/,
    );
    expect(readdirSync(out)).toEqual([]);
  });
});
