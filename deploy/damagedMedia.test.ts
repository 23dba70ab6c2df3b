import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { cp, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogItem } from '../core/catalog';
import { buildIndex } from '../index-builder/buildIndex';
import { FolderSource } from '../index-builder/folderSource';
import { loadModel } from '../index-builder/loadModel';
import { s3ClientFor } from '../storage/s3ClientFor';
import { phonePhoto } from '../testing/builderFixtures';
import { verifyDataDir } from '../testing/dataDirChecks';
import { writeFixtureData, writeFixtureSite, type FixtureData } from '../testing/deployFixture';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { runDeploy } from './deploy';
import { bucketObjects } from '../testing/bucketObjects';
import { testDeployOptions } from '../testing/deployOptions';

/*
 * Thumbnails and originals are published as immutable: one damaged or replaced on disk must stop the
 * deploy before the bucket changes, named, with what to do (audit, December 2026: a truncated original,
 * or one replaced by a page, was published as image/png for a year of caching).
 */

const BUCKET = 'lookalike-damaged';
const PREFIX = 'site';

let s3: RunningS3rver;
let client: S3Client;
let tmp: string;
let site: string;
let good: string;
let fixture: FixtureData;

beforeAll(async () => {
  Object.assign(process.env, S3RVER_CREDENTIALS);
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-damaged-media-'));
  s3 = await startS3rver();
  client = s3ClientFor({ region: 'us-east-1', endpoint: s3.endpoint, maxAttempts: 3 });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  site = join(tmp, 'site');
  await writeFixtureSite(site, 1);
  good = join(tmp, 'good');
  fixture = await writeFixtureData(good, 1);
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function deploy(dataDir: string, prefix = PREFIX) {
  return runDeploy(
    testDeployOptions({
      bucket: BUCKET,
      prefix,
      endpoint: s3.endpoint,
      siteDir: site,
      dataDir,
      deleteStale: true,
    }),
  );
}

/** Every object in the bucket, with its ETag and size: what a refused deploy must leave as it was. */
async function bucketListing(): Promise<string[]> {
  return (await bucketObjects(client, BUCKET)).map((o) => `${o.key} ${o.etag} ${o.size}`);
}

async function storedBytes(key: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

const paths = (prefix: string) => fixture.referenced.filter((p) => p.startsWith(prefix));

describe('deploy refuses a damaged thumbnail or original before it changes the bucket', () => {
  let n = 0;
  const cases: [string, () => string, (file: string) => Promise<void>, RegExp][] = [
    [
      'a truncated original',
      () => paths('originals/')[0],
      (file) => truncate(file, 1000),
      /1 thumbnail\(s\) or original\(s\) are damaged: originals\/[0-9a-f]{16}\.png \(1000 bytes, the build wrote 20000\)\. Rebuild the data dir/,
    ],
    [
      'an original replaced by a page',
      () => paths('originals/')[0],
      (file) => writeFile(file, '<html><script>alert(1)</script></html>'),
      /originals\/[0-9a-f]{16}\.png \(38 bytes, the build wrote 20000\)\. Rebuild the data dir/,
    ],
    [
      'a truncated thumbnail',
      () => paths('thumbs/')[0],
      (file) => truncate(file, 100),
      /damaged: thumbs\/[0-9a-f]{16}\.webp \(100 bytes, the build wrote 3000\)/,
    ],
    [
      'an original of the right size that is not the image its name says',
      () => paths('originals/')[0],
      async (file) => {
        const bytes = await readFile(file);
        bytes[500] ^= 0xff;
        await writeFile(file, bytes);
      },
      /1 original\(s\) do not hold the image their name says .*: originals\/[0-9a-f]{16}\.png\. Delete them, then rebuild/,
    ],
  ];

  it.each(cases)('%s', async (_, pick, damage, message) => {
    await deploy(good);
    const before = await bucketListing();
    const dir = join(tmp, `damaged-${n++}`);
    await cp(good, dir, { recursive: true });
    const path = pick();
    await damage(join(dir, path));
    const refused = deploy(dir);
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toThrow(`${dir}: nothing was published.`);
    await expect(refused).rejects.toThrow(path);
    expect(await bucketListing()).toEqual(before);
    // What the previous deploy stored there is what visitors still get.
    expect((await storedBytes(`${PREFIX}/data/${path}`)).equals(await readFile(join(good, path)))).toBe(true);
  });
});

describe('what deploy refuses, a rebuild repairs', () => {
  it('a stripped original cut short after its record, and one replaced by another of the same size', async () => {
    const model = await loadModel();
    const src = join(tmp, 'photos');
    const data = join(tmp, 'photos-data');
    await mkdir(join(src, 'trip'), { recursive: true });
    for (let i = 0; i < 3; i++)
      await writeFile(join(src, 'trip', `photo${i}.jpg`), await phonePhoto(30 + i, 96));
    const build = async (): Promise<CatalogItem[]> => {
      await buildIndex({ source: new FolderSource(src), dataDir: data, model, cacheDir: join(tmp, 'cache') });
      return (await verifyDataDir(data)).catalog.items;
    };
    const items = await build();
    await deploy(data, 'photos');
    const [first, second] = items.map((it) => it.original);
    const intact = await readFile(join(data, first));

    // Without its metadata, a JPEG records its source's sha256 near its start: the cut leaves the record,
    // so its size tells.
    await truncate(join(data, first), intact.length - 200);
    await expect(deploy(data, 'photos')).rejects.toThrow(`damaged: ${first} (`);
    await build();
    await deploy(data, 'photos');
    expect((await storedBytes(`photos/data/${first}`)).equals(intact)).toBe(true);

    // Another original's bytes, as long as this one's: a build takes the size for intact, so it must
    // be deleted first, as the message says.
    const other = await readFile(join(data, second));
    await writeFile(
      join(data, first),
      Buffer.concat([other, Buffer.alloc(intact.length)]).subarray(0, intact.length),
    );
    await expect(deploy(data, 'photos')).rejects.toThrow(
      new RegExp(`do not hold the image their name says .*: ${first}\\. Delete them, then rebuild`),
    );
    await rm(join(data, first));
    await build();
    await deploy(data, 'photos');
    expect((await readFile(join(data, first))).equals(intact)).toBe(true);
  });
});
