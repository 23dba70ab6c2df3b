import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emojiPng } from '../testing/builderFixtures';
import { runCli } from '../testing/builderCli';
import { startCli } from '../testing/cliProcess';
import { forwardRequest } from '../testing/httpForward';
import { REPO_ROOT } from '../testing/repoRoot';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { ensureDefaultModel } from '../models/ensureModel';
import { BUILD_LOCK_FILE, MANIFEST_FILE, STAGING_DIR } from '../storage/dataDirNames';
import { noAwsCredentials } from '../testing/noAwsCredentials';

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

describe('npm run build-index --dims', () => {
  it('says in one line when it asked for more dims than the images give', async () => {
    const args = [
      '--source',
      './shop',
      '--data-dir',
      'capped',
      '--cache',
      'cache',
      '--model',
      'models/spec.json',
    ];
    const run = await runCli('buildIndexCli.ts', [...args, '--dims', '4096', '--quiet'], { INIT_CWD: root });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/; index \d+ bytes: 2 dims per image,/);
    // Capped at the images − 1 (index-builder/fitTransform.ts); before, silently.
    expect(run.stdout.split('\n')).toContain('  --dims 4096: capped at 2 (3 images)');
  });
});

describe('npm run build-index options', () => {
  it('--help says which options are required, the real --dims defaults and the exit status', async () => {
    const help = await runCli('buildIndexCli.ts', ['--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      '--source <location> folder or s3://bucket/prefix; its first-level sub-folders are albums (required)',
    );
    expect(text).toMatch(/--data-dir <dir> data dir to write .* \(required\)/);
    expect(text).toContain(
      '(default 128 int8; 256 int4 from 6,144 images, the same 128 B per image; 96 in the sharded layout); ' +
        "capped at one less than the images and at the model's dims",
    );
    expect(text).toContain('distributed build: work prefix (default s3://<source bucket>/.lookalike-work/)');
    expect(text).toMatch(
      /Exit status: 0 when the build finished .* 1 when it failed; 130, 143 or 129 when stopped/,
    );
    expect(text).not.toMatch(/\(default: (false|\[\])\)/);
  });

  it('refuses an --endpoint that is no http(s) URL when parsing it, naming the flag', async () => {
    const run = await runCli('buildIndexCli.ts', [
      ...['--source', 's3://my-bucket/photos', '--data-dir', join(root, 'never')],
      ...['--endpoint', 'notaurl'],
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "error: option '--endpoint <url>' argument 'notaurl' is invalid. must be a URL such as http://127.0.0.1:4568\n",
    );
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('says where to put AWS credentials when an S3 source finds none, as deploy does', async () => {
    // Nothing in the SDK's chain: no keys or profile, no config files, no container or instance role.
    // Nothing listens on port 9: were credentials found, the listing would fail with ECONNREFUSED.
    const noCredentials = { ...noAwsCredentials(join(root, 'no-aws')), AWS_REGION: 'us-east-1' };
    const run = await runCli(
      'buildIndexCli.ts',
      [
        ...['--source', 's3://my-bucket/photos', '--endpoint', 'http://127.0.0.1:9'],
        ...[
          '--data-dir',
          join(root, 'no-credentials'),
          '--cache',
          join(root, 'no-credentials-cache'),
          '--quiet',
        ],
      ],
      noCredentials,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^build-index: cannot list s3:\/\/my-bucket\/photos\/: no AWS credentials found \(.*\): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; see docs\/deploy\.md$/m,
    );
  });
});

describe('npm run build-index with a --label-pattern that backtracks catastrophically', () => {
  it('fails before featurizing, naming the name it got stuck on, instead of hanging after it', async () => {
    const source = join(root, 'stuck');
    await mkdir(join(source, 'album'), { recursive: true });
    const stuck = `${'a'.repeat(34)}.png`;
    await copyFile(emojiPng('apple', '1f600.png'), join(source, 'album', stuck));
    await copyFile(emojiPng('apple', '1f602.png'), join(source, 'album', 'ab.png'));
    const out = join(root, 'stuck-data');
    const cache = join(root, 'stuck-cache');
    const run = await runCli('buildIndexCli.ts', [
      ...['--source', source, '--data-dir', out, '--cache', cache, '--quiet'],
      ...['--label-pattern', '^[^/]+/((a|a)+)+b'],
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `build-index: --label-pattern "^[^/]+/((a|a)+)+b" backtracks catastrophically: matching "album/${stuck}" took over 1 s`,
    );
    // Before, it featurized every image and then matched without end, silently, holding the lock.
    expect(existsSync(cache)).toBe(false);
    expect(existsSync(join(out, MANIFEST_FILE))).toBe(false);
    expect(existsSync(join(out, BUILD_LOCK_FILE))).toBe(false);
  });
});

/*
 * A build stopped from outside while it featurizes. The build waits on a read that the test holds (an
 * S3 endpoint behind a proxy that answers no GET of one image, the last in key order), so the stop
 * comes mid-build however fast the machine; --batch-size 1 has the inference worker busy with the
 * images before it.
 */
describe('stopping npm run build-index', () => {
  const BUCKET = 'stop-tests';
  const HELD = 'zz-held.png';
  const env = { ...S3RVER_CREDENTIALS, AWS_REGION: 'us-east-1' };
  let s3: RunningS3rver;
  let published: string;
  let manifest: Buffer;

  beforeAll(async () => {
    s3 = await startS3rver();
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: {
        accessKeyId: S3RVER_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: S3RVER_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const images: [string, string][] = [
      ['1f600.png', '1f600.png'],
      ['1f602.png', '1f602.png'],
      ['1f60d.png', '1f60d.png'],
      ['1f436.png', HELD],
    ];
    for (const [image, name] of images)
      await client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `shop/faces/${name}`,
          Body: await readFile(emojiPng('apple', image)),
        }),
      );
    client.destroy();
    published = join(root, 'published');
    const first = await runCli(
      'buildIndexCli.ts',
      [
        ...['--source', `s3://${BUCKET}/shop`, '--endpoint', s3.endpoint, '--data-dir', published],
        ...['--cache', join(root, 'published-cache'), '--quiet'],
      ],
      env,
    );
    expect(first.code, first.stderr).toBe(0);
    manifest = await readFile(join(published, MANIFEST_FILE));
  });
  afterAll(() => s3?.stop());

  /** A copy of the published data dir, and the arguments of a forced rebuild of it through `endpoint`. */
  async function rebuildArgs(name: string, endpoint: string): Promise<{ out: string; args: string[] }> {
    const out = join(root, name);
    await cp(published, out, { recursive: true });
    const args = [
      ...['--source', `s3://${BUCKET}/shop`, '--endpoint', endpoint, '--data-dir', out],
      ...['--cache', join(root, `${name}-cache`), '--batch-size', '1', '--force'],
    ];
    return { out, args };
  }

  /** The build left the data dir as the last finished build published it. */
  async function expectUnchanged(out: string): Promise<void> {
    expect(await readFile(join(out, MANIFEST_FILE))).toEqual(manifest);
    expect(existsSync(join(out, BUILD_LOCK_FILE))).toBe(false);
    expect(existsSync(join(out, STAGING_DIR))).toBe(false);
  }

  it('SIGTERM stops it cleanly: exit 143, its lock and staging gone, the published build unchanged', async () => {
    const proxy = await holdingProxy(s3.endpoint, HELD);
    try {
      const { out, args } = await rebuildArgs('sigterm', proxy.url);
      const build = startCli('index-builder/buildIndexCli.ts', args, env);
      await proxy.held;
      build.child.kill('SIGTERM');
      // Before, it died of the signal (under tsx, aborted natively: exit 134), leaving lock and staging.
      expect(await build.exited).toEqual({ code: 143, signal: null });
      expect(build.output()).toMatch(
        /^build-index: SIGTERM: stopping the build and cleaning up \(send it again to leave at once\)$/m,
      );
      expect(build.output()).toMatch(
        /^build-index: stopped by SIGTERM; the published index was not changed$/m,
      );
      await expectUnchanged(out);
    } finally {
      proxy.close();
    }
  });

  // The watch reads /proc (launcherWatch.ts).
  it.skipIf(process.platform !== 'linux')(
    'stops cleanly when the npm run that started it goes away, as npm does on SIGTERM',
    async () => {
      const proxy = await holdingProxy(s3.endpoint, HELD);
      try {
        const { out, args } = await rebuildArgs('orphaned', proxy.url);
        // npm passes a SIGTERM on to the shell running the script alone, which dies of it.
        const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
        const shell = spawn(
          'sh',
          [
            '-c',
            `${JSON.stringify(process.execPath)} --import tsx index-builder/buildIndexCli.ts ${quoted}; exit $?`,
          ],
          { cwd: REPO_ROOT, env: { ...process.env, ...env, npm_lifecycle_event: 'build-index' } },
        );
        let output = '';
        shell.stdout.on('data', (d: Buffer) => (output += d.toString()));
        shell.stderr.on('data', (d: Buffer) => (output += d.toString()));
        // 'close' comes once the build, which holds the shell's pipes, has exited too.
        const closed = new Promise<void>((resolve) => shell.on('close', () => resolve()));
        await proxy.held;
        shell.kill('SIGTERM');
        await closed;
        // Before, the build ran on, orphaned, waiting for the image for ever.
        expect(output).toMatch(
          /^build-index: the npm run that started it \(pid \d+\) went away: stopping the build and cleaning up$/m,
        );
        expect(output).toMatch(
          /^build-index: stopped as the npm run that started it went away; the published index was not changed$/m,
        );
        await expectUnchanged(out);
      } finally {
        proxy.close();
      }
    },
  );
});

/**
 * A proxy to `endpoint` that holds every GET of an object named `name` unanswered: `held` resolves at
 * the first one.
 */
async function holdingProxy(
  endpoint: string,
  name: string,
): Promise<{ url: string; held: Promise<void>; close(): void }> {
  const upstream = new URL(endpoint);
  let heard = () => {};
  const held = new Promise<void>((resolve) => (heard = resolve));
  const waiting: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method === 'GET' && path.endsWith(`/${name}`)) {
      waiting.push(res);
      heard();
      return;
    }
    forwardRequest(req, res, { host: upstream.hostname, port: upstream.port });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    close() {
      for (const res of waiting) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}
