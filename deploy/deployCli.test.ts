import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirFlagProblems } from '../testing/dataDirFlag';
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
      [['--bucket', 'b', '--data-dir', ' ', ...endpoint], /'--data-dir <dir>' argument ' ' is invalid/],
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

  it('publishes the data dir that --data-dir, or the old --data, names', () => {
    const root = mkdtempSync(join(tmpdir(), 'deploy-cli-'));
    try {
      // Not a data dir: deploy stops there, naming the folder it was given, before any request.
      const notData = join(root, 'not-data');
      for (const name of ['--data-dir', '--data']) {
        const run = deployCli(['--bucket', 'b', name, notData, '--endpoint', 'http://127.0.0.1:9']);
        expect(run.code, name).not.toBe(0);
        expect(run.stderr, name).toContain(`${notData} has no manifest.json`);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('calls the data dir --data-dir in --help, and refuses it with --data for another folder', async () => {
    expect(await dataDirFlagProblems('deploy/deployCli.ts', '--data', ['--bucket', 'b'])).toEqual([]);
  });
});
