import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureImages } from '../testing/fixtureImages';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { WAIT_MS } from '../testing/timeLimits';

/*
 * The real thing end to end: the production site (dist/, or a fresh `vite build` when there is none)
 * and a data dir made by the builder from the e2e fixture images, published with `npm run deploy`
 * to s3rver, then opened in Chromium from the bucket's website URL. An album-image search there must
 * give what the Node query CLI gives over the same data dir.
 */

const projectDir = fileURLToPath(new URL('..', import.meta.url));
const BUCKET = 'lookalike-web';
const PREFIX = 'sites/lookalike';
const appPresent =
  existsSync(join(projectDir, 'src/main.tsx')) && existsSync(join(projectDir, 'vite.config.ts'));
const tsx = join(projectDir, 'node_modules/.bin/tsx');

function run(what: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(command, args, { cwd: projectDir, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `${what} failed (${r.status ?? r.signal}):\n${`${r.stdout}\n${r.stderr}`.trim().slice(-3000)}`,
    );
  }
  return r.stdout;
}

/** Asynchronous, unlike run(): the child talks to s3rver, which lives on this process's event loop. */
function runAsync(
  what: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: projectDir, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${what} failed (${code ?? signal}):\n${out.trim().slice(-3000)}`)),
    );
  });
}

let s3: RunningS3rver;
let tmp: string;
let dataDir: string;
let browser: Browser;
let deployOutput: string;

describe.skipIf(!appPresent)('the deployed site, served from s3rver, in Chromium', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'lookalike-deployed-'));
    const images = join(tmp, 'images');
    writeFixtureImages(images);
    dataDir = join(tmp, 'data');
    run('build-index', tsx, [
      'index-builder/buildIndexCli.ts',
      '--source',
      images,
      '--data-dir',
      dataDir,
      '--quiet',
    ]);
    let siteDir = join(projectDir, 'dist');
    if (!existsSync(join(siteDir, 'index.html'))) {
      // Not into dist/: other people's runs may be serving it.
      siteDir = join(tmp, 'dist');
      // Vitest sets NODE_ENV=test, which would make Vite build a development bundle (no service worker).
      run(
        'vite build',
        join(projectDir, 'node_modules/.bin/vite'),
        ['build', ...['--outDir', siteDir, '--emptyOutDir', '--logLevel', 'warn']],
        { NODE_ENV: 'production' },
      );
    }
    s3 = await startS3rver();
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();
    deployOutput = await runAsync(
      'npm run deploy',
      tsx,
      [
        'deploy/deployCli.ts',
        ...['--bucket', BUCKET, '--prefix', PREFIX, '--endpoint', s3.endpoint],
        ...['--site', siteDir, '--data-dir', dataDir],
      ],
      S3RVER_CREDENTIALS,
    );
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await s3?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('loads from the website URL, and an album-image search gives the query CLI results', async () => {
    const websiteUrl = `${s3.endpoint}/${BUCKET}/${PREFIX}/`;
    expect(deployOutput).toContain(`open  ${websiteUrl}`);
    const context = await browser.newContext();
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    try {
      await page.goto(websiteUrl);
      await page.getByTestId('album').first().waitFor({ timeout: WAIT_MS });
      expect(await page.getByTestId('album').count()).toBe(3);

      await page.locator('[data-testid="album"][data-album="Google"] a').click();
      await page.getByTestId('grid-cell').nth(9).waitFor();
      const cell = page.getByTestId('grid-cell').nth(2);
      const id = await cell.getAttribute('data-id');
      expect(id).toBeTruthy();
      await cell.click();
      await page.getByTestId('result').nth(4).waitFor();
      const shown = await page
        .getByTestId('result')
        .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-id')));

      const cli = run('query', tsx, [
        'index-builder/queryCli.ts',
        ...['--data-dir', dataDir, '--json', '--k', String(shown.length), '--id', id!],
      ]);
      const line = cli
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .at(-1)!;
      const expected = (JSON.parse(line) as { results: { id: string }[] }).results.map((r) => r.id);
      expect(shown).toEqual(expected);

      // The service worker script is only accepted with a JavaScript Content-Type; 127.0.0.1 is a
      // secure context, so it must install and take control here as on the HTTPS URL.
      const swState = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        for (let waited = 0; registration.active?.state !== 'activated' && waited < 90_000; waited += 250) {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        return registration.active?.state;
      });
      expect(swState).toBe('activated');
      expect(failures).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
