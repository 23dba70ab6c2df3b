import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketWebsiteCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeploy, type DeployOptions } from './deploy';
import { writeFixtureData, writeFixtureSite, type FixtureData } from '../testing/deployFixture';
import { startFaultyS3Proxy } from '../testing/faultyS3Proxy';
import { collectLocalFiles } from './localFiles';
import { DeployInterruptedError } from './phasedUpload';
import { IMMUTABLE, REVALIDATE } from './publishRules';
import { s3ClientFor } from '../storage/s3ClientFor';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { bucketObjects } from '../testing/bucketObjects';
import { testDeployOptions } from '../testing/deployOptions';

const projectDir = fileURLToPath(new URL('..', import.meta.url));
const BUCKET = 'lookalike-site';
const OTHER_BUCKET = 'builder-source';
const PREFIX = 'demo';
const PART_SIZE = 5 * 1024 * 1024;

let s3: RunningS3rver;
let client: S3Client;
let tmp: string;
let v1: { site: string; data: string; fixture: FixtureData };
let v2: { site: string; data: string; fixture: FixtureData };

async function writeVersion(version: number) {
  const site = join(tmp, `site-v${version}`);
  const data = join(tmp, `data-v${version}`);
  await writeFixtureSite(site, version);
  return { site, data, fixture: await writeFixtureData(data, version) };
}

function options(over: Partial<DeployOptions> & { lines?: string[] }): DeployOptions {
  const lines = over.lines ?? [];
  return testDeployOptions({
    bucket: BUCKET,
    prefix: PREFIX,
    endpoint: s3.endpoint,
    siteDir: v1.site,
    dataDir: v1.data,
    partSize: PART_SIZE,
    log: (line) => lines.push(line),
    ...over,
  });
}

async function getBytes(
  bucket: string,
  key: string,
): Promise<{ bytes: Buffer; encoding: string | undefined }> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const raw = Buffer.from(await r.Body!.transformToByteArray());
  return { bytes: r.ContentEncoding === 'gzip' ? gunzipSync(raw) : raw, encoding: r.ContentEncoding };
}

async function listAll(bucket: string): Promise<string[]> {
  return (await bucketObjects(client, bucket)).map((o) => `${o.key} ${o.etag} ${o.size}`);
}

/** The invariant an interrupted deploy must keep: the v1 site, whole, is what visitors get. */
async function expectV1Serving(): Promise<void> {
  const manifest = await getBytes(BUCKET, `${PREFIX}/data/manifest.json`);
  expect(manifest.bytes.equals(await readFile(join(v1.data, 'manifest.json')))).toBe(true);
  for (const path of v1.fixture.referenced) {
    const stored = await getBytes(BUCKET, `${PREFIX}/data/${path}`);
    expect(stored.bytes.equals(await readFile(join(v1.data, path))), path).toBe(true);
  }
  const page = await getBytes(BUCKET, `${PREFIX}/index.html`);
  expect(page.bytes.toString()).toBe(await readFile(join(v1.site, 'index.html'), 'utf8'));
  const sw = await getBytes(BUCKET, `${PREFIX}/sw.js`);
  expect(sw.bytes.toString()).toBe(await readFile(join(v1.site, 'sw.js'), 'utf8'));
}

beforeAll(async () => {
  Object.assign(process.env, S3RVER_CREDENTIALS);
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-deploy-'));
  s3 = await startS3rver();
  // The deploy's own client settings for an S3-compatible endpoint.
  client = s3ClientFor({ region: 'us-east-1', endpoint: s3.endpoint, maxAttempts: 3 });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await client.send(new CreateBucketCommand({ Bucket: OTHER_BUCKET }));
  v1 = await writeVersion(1);
  v2 = await writeVersion(2);
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('deploy to a real S3 API (s3rver)', () => {
  it('publishes every file with its Content-Type, Content-Encoding and Cache-Control, in multipart when large', async () => {
    const proxy = await startFaultyS3Proxy(s3.endpoint, Number.POSITIVE_INFINITY, 'fail');
    const lines: string[] = [];
    const report = await runDeploy(options({ endpoint: proxy.endpoint, lines })).finally(() => proxy.stop());
    expect(report.plan.skips).toHaveLength(0);
    expect(report.plan.uploads.length).toBeGreaterThanOrEqual(20);

    const expected: [string, string, string | undefined, string][] = [
      ['index.html', 'text/html; charset=utf-8', 'gzip', REVALIDATE],
      ['sw.js', 'text/javascript', 'gzip', REVALIDATE],
      ['registerSW.js', 'text/javascript', undefined, REVALIDATE],
      ['manifest.webmanifest', 'application/manifest+json', undefined, REVALIDATE],
      ['favicon.svg', 'image/svg+xml', undefined, REVALIDATE],
      ['workbox-4f2a9c1e.js', 'text/javascript', 'gzip', IMMUTABLE],
      ['assets/index-Cq3x_9Lm.css', 'text/css; charset=utf-8', 'gzip', IMMUTABLE],
      ['assets/ort-wasm-simd-threaded.asyncify-B7Kq2xZa.wasm', 'application/wasm', 'gzip', IMMUTABLE],
      ['assets/ort-wasm-simd-threaded.asyncify-D1v8Wn0p.mjs', 'text/javascript', 'gzip', IMMUTABLE],
      ['assets/logo-Z9y8X7w6.webp', 'image/webp', undefined, IMMUTABLE],
      ['data/manifest.json', 'application/json', 'gzip', REVALIDATE],
      // Index files are read with Range requests: never gzip-encoded.
      [`data/${v1.fixture.manifest.index.path}`, 'application/octet-stream', undefined, IMMUTABLE],
      [`data/${v1.fixture.manifest.catalog.path}`, 'application/json', 'gzip', IMMUTABLE],
      [`data/${v1.fixture.manifest.model.file.path}`, 'application/octet-stream', 'gzip', IMMUTABLE],
      ...v1.fixture.referenced
        .filter((p) => p.startsWith('thumbs/'))
        .map((p): [string, string, undefined, string] => [`data/${p}`, 'image/webp', undefined, IMMUTABLE]),
      ...v1.fixture.referenced
        .filter((p) => p.startsWith('originals/'))
        .map((p): [string, string, undefined, string] => [`data/${p}`, 'image/png', undefined, IMMUTABLE]),
    ];
    for (const [path, contentType, encoding, cacheControl] of expected) {
      const key = `${PREFIX}/${path}`;
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect({ path, type: head.ContentType, enc: head.ContentEncoding, cache: head.CacheControl }).toEqual({
        path,
        type: contentType,
        enc: encoding,
        cache: cacheControl,
      });
      const local = await readFile(
        join(path.startsWith('data/') ? v1.data : v1.site, path.replace(/^data\//, '')),
      );
      const stored = await getBytes(BUCKET, key);
      expect(stored.bytes.equals(local), path).toBe(true);
      if (encoding === 'gzip') expect(head.ContentLength).toBeLessThanOrEqual(local.length * 0.9);
    }
    // The 6 MiB original (incompressible) and the 7 MiB model (gzip still above 5 MiB) go multipart.
    const multipartKeys = proxy.requests
      .filter((r) => r.method === 'POST' && r.query.includes('uploads'))
      .map((r) => r.path.replace(`/${BUCKET}/${PREFIX}/`, ''));
    expect(multipartKeys.sort()).toEqual(
      [`data/${v1.fixture.manifest.model.file.path}`, `data/${v1.fixture.referenced[3]}`].sort(),
    );
    expect(report.gzip.storedBytes).toBeLessThan(report.gzip.bytes);

    await expect(
      client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/data/build-report.json` })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    // The builder's own files stay local without a word: they are not the person's to worry about.
    expect(lines.some((l) => l.includes('build-report.json'))).toBe(false);

    // Website hosting serves the prefix's index.html for the folder URL; CORS allows Range reads.
    const website = await client.send(new GetBucketWebsiteCommand({ Bucket: BUCKET }));
    expect(website.IndexDocument?.Suffix).toBe('index.html');
    expect(website.ErrorDocument?.Key).toBe(`${PREFIX}/index.html`);
    const page = await fetch(`${s3.endpoint}/${BUCKET}/${PREFIX}/`);
    expect(await page.text()).toBe(await readFile(join(v1.site, 'index.html'), 'utf8'));
    const cors = await client.send(new GetBucketCorsCommand({ Bucket: BUCKET }));
    expect(cors.CORSRules?.[0]).toMatchObject({ AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['Range'] });
    const preflight = await fetch(`${s3.endpoint}/${BUCKET}/${PREFIX}/data/manifest.json`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://example.org',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      },
    });
    expect(preflight.status).toBe(200);
    // s3rver has no bucket-policy API: the deploy says so instead of failing.
    expect(lines.some((l) => l.includes('does not implement bucket policies'))).toBe(true);
    expect(report.urls).toEqual({
      website: `${proxy.endpoint}/${BUCKET}/${PREFIX}/`,
      https: `${proxy.endpoint}/${BUCKET}/${PREFIX}/index.html`,
    });
  });

  it('a second deploy uploads only the files that changed', async () => {
    const again = await runDeploy(options({}));
    expect(again.plan.uploads).toHaveLength(0);
    expect(again.plan.skips.length).toBeGreaterThanOrEqual(20);

    const favicon = join(v1.site, 'favicon.svg');
    await writeFile(
      favicon,
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><circle r="1"/></svg>',
    );
    const changed = await runDeploy(options({}));
    expect(changed.plan.uploads.map((f) => [f.key, f.reason])).toEqual([
      [`${PREFIX}/favicon.svg`, 'changed'],
    ]);
    expect((await getBytes(BUCKET, `${PREFIX}/favicon.svg`)).bytes.equals(await readFile(favicon))).toBe(
      true,
    );
  });

  it('--dry-run lists uploads, skips, deletes and bucket settings and changes nothing', async () => {
    const before = await listAll(BUCKET);
    const lines: string[] = [];
    const report = await runDeploy(
      options({ siteDir: v2.site, dataDir: v2.data, dryRun: true, deleteStale: true, lines }),
    );
    expect(await listAll(BUCKET)).toEqual(before);
    expect(report.plan.uploads.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith(`would upload ${PREFIX}/data/manifest.json`))).toBe(true);
    expect(
      lines.some((l) => l.startsWith(`would skip ${PREFIX}/data/${v1.fixture.manifest.model.file.path}`)),
    ).toBe(true);
    expect(
      lines.some((l) => l.startsWith(`would delete ${PREFIX}/data/${v1.fixture.manifest.catalog.path}`)),
    ).toBe(true);
    expect(lines.some((l) => l.includes('website hosting already serves index.html'))).toBe(true);
  });

  it('a deploy whose uploads start failing midway leaves the previous site serving', async () => {
    // The lock, the deploy state's pending record, then 4 files.
    const proxy = await startFaultyS3Proxy(s3.endpoint, 6, 'fail');
    try {
      const failed = runDeploy(options({ endpoint: proxy.endpoint, siteDir: v2.site, dataDir: v2.data }));
      await expect(failed).rejects.toBeInstanceOf(DeployInterruptedError);
      await expect(failed).rejects.toThrow(/visitors still get the previous site/);
      expect(proxy.forwardedWrites).toBe(6);
    } finally {
      await proxy.stop();
    }
    await expectV1Serving();
  });

  it('a deploy killed mid-upload (the CLI, SIGKILL) leaves the previous site serving; the next deploy on this machine takes its lock over at once and its files stay its own', async () => {
    // The lock, the deploy state's pending record, then 2 files.
    const proxy = await startFaultyS3Proxy(s3.endpoint, 4, 'hang');
    // Node itself with tsx as a loader, not the tsx CLI: its one process is the deploy, so the kill ends
    // the deploy (the CLI's child would run on for seconds after its parent was killed).
    const child = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', 'deploy/deployCli.ts'],
        ...['--bucket', BUCKET, '--prefix', PREFIX, '--endpoint', proxy.endpoint],
        // One upload at a time: none is cut off by the kill (s3rver would keep a truncated body).
        ...['--site', v2.site, '--data-dir', v2.data, '--concurrency', '1'],
      ],
      { cwd: projectDir, env: { ...process.env, ...S3RVER_CREDENTIALS }, stdio: 'ignore' },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    try {
      await proxy.firstFault;
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      await proxy.stop();
    }
    await expectV1Serving();
    // What the failed deploys before this one uploaded and the site at v1 does not use.
    const v1Keys = new Set(v1.fixture.referenced.map((p) => `${PREFIX}/data/${p}`));
    const orphans = (await listAll(BUCKET))
      .map((l) => l.split(' ')[0])
      .filter(
        (k) => k.startsWith(`${PREFIX}/data/`) && !v1Keys.has(k) && k !== `${PREFIX}/data/manifest.json`,
      );
    expect(orphans.length).toBeGreaterThan(0);

    // Its lock names a process of this machine that is gone, so the next deploy takes it over without
    // waiting for it to lapse (a lock from another machine still waits: deployLock.test.ts). The failed
    // and killed deploys' uploads were recorded as pending, so --delete removes those the site no longer
    // uses.
    const lines: string[] = [];
    const report = await runDeploy(options({ siteDir: v1.site, dataDir: v1.data, deleteStale: true, lines }));
    expect(
      lines.some((l) => l.startsWith('taking over the lock of a deploy that no longer runs (started')),
    ).toBe(true);
    expect(report.deleted).toEqual(expect.arrayContaining(orphans));
    expect(report.plan.foreign).toEqual([]);
    const keys = (await listAll(BUCKET)).map((l) => l.split(' ')[0]);
    expect(keys).not.toContain(`${PREFIX}/.lookalike-deploy.lock`);
    await expectV1Serving();
  });

  it('two deploys to one prefix at once: the second is refused and changes nothing; the first finishes', async () => {
    // The first deploy holds the lock and waits in its upload phase (after the lock and its pending record).
    const proxy = await startFaultyS3Proxy(s3.endpoint, 2, 'hold');
    try {
      const first = runDeploy(options({ endpoint: proxy.endpoint, siteDir: v2.site, dataDir: v2.data }));
      // (A first deploy that failed to start ends the wait too, and fails the test below.)
      await Promise.race([proxy.firstFault, first]);
      const before = await listAll(BUCKET);
      await expect(
        runDeploy(options({ siteDir: v1.site, dataDir: v1.data, deleteStale: true })),
      ).rejects.toThrow(/another deploy to this prefix is running/);
      expect(await listAll(BUCKET)).toEqual(before);
      proxy.release();
      await first;
    } finally {
      await proxy.stop();
    }
    const manifest = await getBytes(BUCKET, `${PREFIX}/data/manifest.json`);
    expect(manifest.bytes.equals(await readFile(join(v2.data, 'manifest.json')))).toBe(true);
    // Back to v1 for the tests after this one.
    await runDeploy(options({}));
    await expectV1Serving();
  });

  it('a completed deploy switches to the new site; --delete removes only its own stale keys', async () => {
    const put = (Bucket: string, Key: string) =>
      client.send(new PutObjectCommand({ Bucket, Key, Body: 'keep me' }));
    await put(BUCKET, 'outside/keep.txt');
    await put(BUCKET, `${PREFIX}-sibling/data/manifest.json`);
    await put(BUCKET, `${PREFIX}/notes.txt`); // under the prefix but not written by a deploy
    await put(OTHER_BUCKET, `${PREFIX}/data/manifest.json`);
    const otherBefore = await listAll(OTHER_BUCKET);

    const kept = await runDeploy(options({ siteDir: v2.site, dataDir: v2.data }));
    expect(kept.plan.deletes).toEqual([]);
    expect(await getBytes(BUCKET, `${PREFIX}/data/${v1.fixture.manifest.catalog.path}`)).toBeTruthy();

    const report = await runDeploy(options({ siteDir: v2.site, dataDir: v2.data, deleteStale: true }));
    expect(report.plan.uploads).toHaveLength(0);
    const v1Only = v1.fixture.referenced.filter((p) => !v2.fixture.referenced.includes(p));
    expect(report.deleted.sort()).toEqual(
      [...v1Only.map((p) => `${PREFIX}/data/${p}`), ...(await v1OnlySiteKeys())].sort(),
    );
    expect(report.plan.foreign).toEqual([`${PREFIX}/notes.txt`]);

    const keys = (await listAll(BUCKET)).map((l) => l.split(' ')[0]);
    expect(keys).toEqual(
      expect.arrayContaining([
        'outside/keep.txt',
        `${PREFIX}-sibling/data/manifest.json`,
        `${PREFIX}/notes.txt`,
      ]),
    );
    for (const p of v1Only) expect(keys).not.toContain(`${PREFIX}/data/${p}`);
    expect(await listAll(OTHER_BUCKET)).toEqual(otherBefore);

    const manifest = await getBytes(BUCKET, `${PREFIX}/data/manifest.json`);
    expect(manifest.bytes.equals(await readFile(join(v2.data, 'manifest.json')))).toBe(true);
    for (const path of v2.fixture.referenced) {
      expect(
        (await getBytes(BUCKET, `${PREFIX}/data/${path}`)).bytes.equals(await readFile(join(v2.data, path))),
      ).toBe(true);
    }
  });

  it('refuses a data dir that would publish a broken site, before touching the bucket', async () => {
    const before = await listAll(BUCKET);
    const broken = join(tmp, 'data-broken');
    const fixture = await writeFixtureData(broken, 3);
    await writeFile(join(broken, fixture.manifest.index.path), 'truncated');
    await expect(runDeploy(options({ dataDir: broken }))).rejects.toThrow(
      /does not match the sha256 in the manifest/,
    );
    await expect(runDeploy(options({ dataDir: join(tmp, 'nowhere') }))).rejects.toThrow(
      /npm run build-index/,
    );
    expect(await listAll(BUCKET)).toEqual(before);
  });
});

/** Site keys v1 had and v2 does not: the rebuilt app bundle. */
async function v1OnlySiteKeys(): Promise<string[]> {
  const a = (await collectLocalFiles(v1.site, v1.data)).files.filter((f) => !f.sitePath.startsWith('data/'));
  const b = new Set((await collectLocalFiles(v2.site, v2.data)).files.map((f) => f.sitePath));
  return a.filter((f) => !b.has(f.sitePath)).map((f) => `${PREFIX}/${f.sitePath}`);
}
