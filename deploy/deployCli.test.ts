import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirFlagProblems } from '../testing/dataDirFlag';
import { REPO_ROOT } from '../testing/repoRoot';

/** The deploy CLI's exit code and output; nothing here gets as far as S3 (no endpoint is running). */
function deployCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'deploy/deployCli.ts'), ...args],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_REGION: 'us-east-1',
        ...env,
      },
    },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
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
        /'--retries <n>' argument '25' is invalid\. must be between 0 and 20/,
      ],
      [['--bucket', 'b', '--concurrency', '0', ...endpoint], /'--concurrency <n>' argument '0' is invalid/],
      // Number() took these as 16 and 10; only decimal digits are a count.
      [
        ['--bucket', 'b', '--concurrency', '0x10', ...endpoint],
        /'--concurrency <n>' argument '0x10' is invalid/,
      ],
      [['--bucket', 'b', '--retries', '1e1', ...endpoint], /'--retries <n>' argument '1e1' is invalid/],
      // The parser build-index and build-worker share (storage/cliOptions.ts endpointUrl).
      [
        ['--bucket', 'b', '--endpoint', 'notaurl'],
        /'--endpoint <url>' argument 'notaurl' is invalid\. must be a URL/,
      ],
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

  it('refuses an s3:// URL or a path as --bucket before any request, saying what to pass', () => {
    // Nothing listens on port 9: a request would fail with a network error, not with this message.
    const endpoint = ['--endpoint', 'http://127.0.0.1:9'];
    const cases: [string, string][] = [
      ['s3://my-bucket', '--bucket my-bucket'],
      ['s3://my-bucket/', '--bucket my-bucket'],
      ['s3://my-bucket/shop/site/', '--bucket my-bucket --prefix shop/site'],
      ['my-bucket/shop', '--bucket my-bucket --prefix shop'],
    ];
    for (const [bucket, meant] of cases) {
      const run = deployCli(['--bucket', bucket, ...endpoint]);
      expect(run.code, bucket).toBe(1);
      expect(run.stderr.split('\n')[0], bucket).toBe(
        `error: option '--bucket <name>' argument '${bucket}' is invalid. pass the bare bucket name, ` +
          `e.g. ${meant} (--prefix is the key prefix to publish under)`,
      );
      expect(run.stderr, bucket).not.toMatch(/shouldn't contain|ECONNREFUSED/);
    }
  });

  it('says each default once in --help', () => {
    const help = deployCli(['--help']).stdout;
    expect(help).toMatch(/--prefix <prefix>\s+key prefix to publish under \(default: bucket root\)\n/);
    expect(help).toMatch(/--public-bucket\s+bucket root only: .*\s+public \(default: only the site keys\)\n/);
    for (const line of help.split(/\n(?=\s+-)/))
      expect(line.match(/\(default:/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
    // A flag that is off unless given has no default worth saying.
    expect(help).not.toMatch(/\(default: (false|\[\])\)/);
    // Retries after the first attempt, 3 attempts in all by default as before; --bucket is needed.
    expect(help).toMatch(/--retries <n>\s+times a failed file is tried again, .*\(default: 2\)\n/s);
    expect(help).toMatch(/--bucket <name>\s+target bucket, .*\(required\)\n/);
  });

  it('takes a relative --data-dir from the folder npm was run in (INIT_CWD)', () => {
    const root = mkdtempSync(join(tmpdir(), 'deploy-cli-'));
    try {
      // npm run starts the CLI in the package root (the child's cwd here), and says in INIT_CWD where
      // the user was. Not a data dir: deploy stops there, naming the folder, before any request. (--site
      // goes through the same parser, storage/cliOptions.ts pathOption.)
      const endpoint = ['--endpoint', 'http://127.0.0.1:9'];
      const data = deployCli(['--bucket', 'b', '--data-dir', 'mydata', ...endpoint], { INIT_CWD: root });
      expect(data.code).not.toBe(0);
      expect(data.stderr).toContain(`${join(root, 'mydata')} has no manifest.json`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('calls the data dir --data-dir in --help, and refuses it with --data for another folder', async () => {
    expect(await dataDirFlagProblems('deploy/deployCli.ts', '--data', ['--bucket', 'b'])).toEqual([]);
  });
});
