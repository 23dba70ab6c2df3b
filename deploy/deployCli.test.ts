import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../testing/repoRoot';

/** The deploy CLI's exit code and stderr; nothing here gets as far as S3 (no endpoint is running). */
function deployCli(args: string[]): { code: number | null; stderr: string } {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'deploy/deployCli.ts'), ...args],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' },
    },
  );
  return { code: run.status, stderr: run.stderr };
}

describe('npm run deploy options', () => {
  it('refuses empty names and paths (an unset variable) and unbounded counts before doing anything', () => {
    const endpoint = ['--endpoint', 'http://127.0.0.1:9'];
    const cases: [string[], RegExp][] = [
      [['--bucket', '', ...endpoint], /'--bucket <name>' argument '' is invalid\. must not be empty/],
      // '' would have published the current folder: the whole repo here, which has an index.html.
      [
        ['--bucket', 'b', '--site', '', ...endpoint],
        /'--site <dir>' argument '' is invalid\. must not be empty/,
      ],
      [['--bucket', 'b', '--data', ' ', ...endpoint], /'--data <dir>' argument ' ' is invalid/],
      [
        ['--bucket', 'b', '--retries', '1e15', ...endpoint],
        /'--retries <n>' argument '1e15' is invalid\. expected a whole number/,
      ],
      [
        ['--bucket', 'b', '--retries', '25', ...endpoint],
        /'--retries <n>' argument '25' is invalid\. must be between 1 and 20/,
      ],
      [['--bucket', 'b', '--concurrency', '0', ...endpoint], /'--concurrency <n>' argument '0' is invalid/],
      // Number() took these as 16 and 10; only decimal digits are a count.
      [
        ['--bucket', 'b', '--concurrency', '0x10', ...endpoint],
        /'--concurrency <n>' argument '0x10' is invalid/,
      ],
      [['--bucket', 'b', '--retries', '1e1', ...endpoint], /'--retries <n>' argument '1e1' is invalid/],
    ];
    for (const [args, message] of cases) {
      const run = deployCli(args);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  });
});
