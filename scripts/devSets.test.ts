import { describe, expect, it } from 'vitest';
import { runScript } from '../testing/builderCli';

/*
 * npm run dev-sets' command line. Each run names only the emoji set: were --help ignored, the run would
 * remake that one set (a stamp keeps it as it is when up to date), not all of them.
 */

describe('npm run dev-sets', () => {
  it('prints its usage for -h and --help and makes no set', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runScript('scripts/devSets.ts', ['--sets', 'emoji', flag]);
      expect(run.code, flag).toBe(0);
      expect(run.stdout, flag).toMatch(/^Usage: dev-sets \[options\]/);
      expect(run.stdout, flag).toMatch(/--sets <names>[\s\S]*--force/);
      expect(run.stdout, flag).not.toContain('[dev-sets]');
      expect(run.stderr, flag).toBe('');
    }
  });

  it('refuses an unknown option or set in one line, with exit 1', async () => {
    const unknown = await runScript('scripts/devSets.ts', ['--sets', 'emoji', '--frce']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: unknown option '--frce'\n(Did you mean --force?)\n");
    const set = await runScript('scripts/devSets.ts', ['--sets', 'emoji,foto']);
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(
      /^error: option '--sets <names>' argument 'emoji,foto' is invalid\. unknown set foto \(sets: emoji, .*\)\n$/,
    );
    expect(set.stdout).toBe('');
  });
});
