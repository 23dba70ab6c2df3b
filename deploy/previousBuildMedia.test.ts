import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogItem } from '../core/catalog';
import { parseManifest } from '../core/manifest';
import { buildIndex } from '../index-builder/buildIndex';
import { FolderSource } from '../index-builder/folderSource';
import { loadModel, type LoadedModel } from '../index-builder/loadModel';
import { s3ClientFor } from '../storage/s3ClientFor';
import { phonePhoto, shapePng } from '../testing/builderFixtures';
import { verifyDataDir } from '../testing/dataDirChecks';
import { writeFixtureSite } from '../testing/deployFixture';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { runDeploy } from './deploy';
import { bucketObjects } from '../testing/bucketObjects';
import { testDeployOptions } from '../testing/deployOptions';

/*
 * A data dir keeps the previous build's files so that open tabs of that build keep working. Its
 * thumbnails and originals must not be published with them: after a rebuild they are images removed
 * from the collection, or originals with the metadata a rebuild without --keep-metadata took out
 * (audit, December 2026: they stayed public after `deploy --delete`, and went to new prefixes too).
 * Real builds, so that the data dir and its retained-files.json are the builder's own.
 */

const BUCKET = 'lookalike-rebuilt';
/** What phonePhoto writes into each photo's EXIF. */
const PRIVATE = ['Jane Doe', 'home address'];

let s3: RunningS3rver;
let client: S3Client;
let tmp: string;
let site: string;
let model: LoadedModel;

beforeAll(async () => {
  Object.assign(process.env, S3RVER_CREDENTIALS);
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-previous-media-'));
  s3 = await startS3rver();
  client = s3ClientFor({ region: 'us-east-1', endpoint: s3.endpoint, maxAttempts: 3 });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  site = join(tmp, 'site');
  await writeFixtureSite(site, 1);
  model = await loadModel();
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function build(src: string, dataDir: string, keepMetadata = false): Promise<CatalogItem[]> {
  await buildIndex({
    source: new FolderSource(src),
    dataDir,
    model,
    cacheDir: join(tmp, 'cache'),
    keepMetadata,
  });
  return (await verifyDataDir(dataDir)).catalog.items;
}

async function deploy(prefix: string, dataDir: string, deleteStale = false): Promise<string[]> {
  const lines: string[] = [];
  await runDeploy(
    testDeployOptions({
      bucket: BUCKET,
      prefix,
      endpoint: s3.endpoint,
      siteDir: site,
      dataDir,
      deleteStale,
      log: (line) => lines.push(line),
    }),
  );
  return lines;
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await bucketObjects(client, BUCKET, `${prefix}/`)).map((o) => o.key);
}

/** Each object's bytes as a browser gets them (gzip undone). */
async function objectText(key: string): Promise<string> {
  const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const raw = Buffer.from(await r.Body!.transformToByteArray());
  return (r.ContentEncoding === 'gzip' ? gunzipSync(raw) : raw).toString('latin1');
}

async function keysHolding(prefix: string, texts: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const key of await keysUnder(prefix)) {
    const text = await objectText(key);
    if (texts.some((t) => text.includes(t))) out.push(key);
  }
  return out;
}

const manifestOf = async (dataDir: string) =>
  parseManifest(JSON.parse(await readFile(join(dataDir, 'manifest.json'), 'utf8')));

/**
 * Builds three images into a new data dir, runs `between` (a deploy of that build), removes one image
 * and builds again: the data dir then keeps the removed image's files for tabs of the first build.
 */
async function rebuiltWithoutOne(
  name: string,
  between: (dataDir: string, removed: string[]) => Promise<void>,
) {
  const src = join(tmp, `${name}-src`);
  const data = join(tmp, `${name}-data`);
  await mkdir(join(src, 'shapes'), { recursive: true });
  for (const [file, seed] of [
    ['kept-a.png', 1],
    ['kept-b.png', 2],
    ['removed.png', 3],
  ] as const) {
    await writeFile(join(src, 'shapes', file), await shapePng(seed));
  }
  const item = (await build(src, data)).find((it) => it.name === 'removed.png')!;
  const removed = [item.thumb, item.original];
  await between(data, removed);
  const previousIndex = (await manifestOf(data)).index.path;
  await rm(join(src, 'shapes', 'removed.png'));
  const after = await build(src, data);
  expect(after.map((it) => it.name).sort()).toEqual(['kept-a.png', 'kept-b.png']);
  for (const p of removed) expect(existsSync(join(data, p)), p).toBe(true);
  return { data, removed, after, previousIndex };
}

describe("deploy after a rebuild: the previous build's thumbnails and originals", () => {
  it('of an image removed from the collection go with --delete', async () => {
    const siteKeys = (paths: string[]) => paths.map((p) => `site/data/${p}`);
    const { data, removed, after, previousIndex } = await rebuiltWithoutOne('removed', async (dir, gone) => {
      await deploy('site', dir);
      expect(await keysUnder('site')).toEqual(expect.arrayContaining(siteKeys(gone)));
    });
    const removedKeys = siteKeys(removed);
    const lines = await deploy('site', data, true);
    // Leaving them out is what a rebuild is for, not a stray file to warn about.
    expect(lines.filter((l) => l.startsWith('not published'))).toEqual([]);
    const keys = await keysUnder('site');
    for (const key of removedKeys) expect(keys).not.toContain(key);
    for (const it of after) {
      expect(keys).toEqual(expect.arrayContaining([`site/data/${it.thumb}`, `site/data/${it.original}`]));
    }
    // The previous build's index stays for the tabs still searching it (until the next build drops it).
    expect(keys).toContain(`site/data/${previousIndex}`);
  });

  it('of an image removed from the collection never go to a prefix that did not have that build', async () => {
    const { data, removed, after, previousIndex } = await rebuiltWithoutOne('fresh', async () => {});
    const lines = await deploy('fresh', data);
    const keys = await keysUnder('fresh');
    for (const p of removed) expect(keys).not.toContain(`fresh/data/${p}`);
    expect(keys.filter((k) => /\/data\/(thumbs|originals)\//.test(k))).toHaveLength(2 * after.length);
    // Nor do the previous build's index and catalog, which name the removed image and hold its vector:
    // no tab of that build was ever open on this prefix.
    expect(keys).not.toContain(`fresh/data/${previousIndex}`);
    for (const key of keys) expect(await objectText(key), key).not.toContain('removed.png');
    expect(lines.filter((l) => l.startsWith('not published'))).toEqual([]);
  });

  it('leave no original with the metadata a rebuild without --keep-metadata took out, after deploy --delete', async () => {
    const src = join(tmp, 'meta-src');
    const data = join(tmp, 'meta-data');
    await mkdir(join(src, 'trip'), { recursive: true });
    for (let i = 0; i < 3; i++)
      await writeFile(join(src, 'trip', `photo${i}.jpg`), await phonePhoto(20 + i, 96));
    await build(src, data, true);
    await deploy('meta', data);
    expect(await keysHolding('meta', PRIVATE)).toHaveLength(3);

    const stripped = await build(src, data);
    // Stripped originals record their source's sha256 (the check deploy makes passes them).
    expect(stripped).toHaveLength(3);
    await deploy('meta', data, true);
    expect(await keysHolding('meta', PRIVATE)).toEqual([]);
    for (const it of stripped) expect(await keysUnder('meta')).toContain(`meta/data/${it.original}`);

    await deploy('meta-fresh', data);
    expect(await keysHolding('meta-fresh', PRIVATE)).toEqual([]);
  });
});
