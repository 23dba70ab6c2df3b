import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketWebsiteCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogFromItems } from '../testing/catalogFromItems';
import { contentAddressedName, fileRefFor } from '../core/manifest';
import { ResidentCollection } from '../core/residentCollection';
import { fileDataSource } from '../storage/fileDataSource';
import { runDeploy, type DeployOptions } from './deploy';
import { writeFixtureData, writeFixtureSite } from '../testing/deployFixture';
import { s3ClientFor } from '../storage/s3ClientFor';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { bucketObjects } from '../testing/bucketObjects';
import { testDeployOptions } from '../testing/deployOptions';

/*
 * One bucket, several sites (issue 13 item 2): a deploy never deletes what it did not record itself,
 * a bucket-root deploy never touches the sites under `demo/` and `demo2/`, and its public-read policy
 * names the site's keys, not the bucket, unless --public-bucket asks for that.
 */

const BUCKET = 'shared-sites';

let s3: RunningS3rver;
let client: S3Client;
let tmp: string;
const versions: { site: string; data: string }[] = [];

function options(over: Partial<DeployOptions> & { lines?: string[] }): DeployOptions {
  const lines = over.lines ?? [];
  return testDeployOptions({
    bucket: BUCKET,
    endpoint: s3.endpoint,
    siteDir: versions[0].site,
    dataDir: versions[0].data,
    log: (line) => lines.push(line),
    ...over,
  });
}

/** Every key with its ETag: a site is untouched when its entries are exactly the same. */
async function listing(keyPrefix = ''): Promise<string[]> {
  return (await bucketObjects(client, BUCKET, keyPrefix)).map((o) => `${o.key} ${o.etag}`);
}

beforeAll(async () => {
  Object.assign(process.env, S3RVER_CREDENTIALS);
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-shared-bucket-'));
  s3 = await startS3rver();
  // The deploy's own client settings for an S3-compatible endpoint.
  client = s3ClientFor({ region: 'us-east-1', endpoint: s3.endpoint, maxAttempts: 3 });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const v of [1, 2]) {
    const site = join(tmp, `site-v${v}`);
    const data = join(tmp, `data-v${v}`);
    await writeFixtureSite(site, v);
    await writeFixtureData(data, v);
    versions.push({ site, data });
  }
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('a bucket shared by several sites (s3rver)', () => {
  it('a bucket-root deploy with --delete leaves the sites under demo/ and demo2/ and hand-made keys alone', async () => {
    const [v1, v2] = versions;
    await runDeploy(options({ prefix: 'demo', siteDir: v1.site, dataDir: v1.data }));
    await runDeploy(options({ prefix: 'demo2', siteDir: v2.site, dataDir: v2.data }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'notes/readme.txt', Body: 'mine' }));
    const demo = await listing('demo/');
    const demo2 = await listing('demo2/');
    expect(demo.length).toBeGreaterThan(10);
    expect(demo2.length).toBeGreaterThan(10);

    await runDeploy(options({ siteDir: v1.site, dataDir: v1.data, deleteStale: true }));
    const lines: string[] = [];
    const root = await runDeploy(options({ siteDir: v2.site, dataDir: v2.data, deleteStale: true, lines }));

    // Its own stale keys (v1's data and app bundle at the root) go; nothing else does.
    expect(root.deleted.length).toBeGreaterThan(0);
    for (const key of root.deleted) expect(key).not.toMatch(/^(demo2?|notes)\//);
    expect(root.plan.otherDeploys).toEqual(['demo/', 'demo2/']);
    expect(root.plan.foreign).toEqual(['notes/readme.txt']);
    expect(lines).toContain('left demo/ alone: another deploy');
    expect(await listing('demo/')).toEqual(demo);
    expect(await listing('demo2/')).toEqual(demo2);
    expect(await listing('notes/')).toHaveLength(1);
  });

  it('--delete removes only keys its own deploy state records, not other keys a deploy once wrote', async () => {
    const [v1, v2] = versions;
    // A key under the prefix that carries a deploy's sha256 metadata but is not in this prefix's state
    // (copied from another site, or left by an older tool): not ours to delete.
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'solo/data/copied.json',
        Body: '{}',
        Metadata: { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      }),
    );
    await runDeploy(options({ prefix: 'solo', siteDir: v1.site, dataDir: v1.data }));
    const report = await runDeploy(
      options({ prefix: 'solo', siteDir: v2.site, dataDir: v2.data, deleteStale: true }),
    );
    expect(report.deleted.length).toBeGreaterThan(0);
    expect(report.deleted).not.toContain('solo/data/copied.json');
    expect(report.plan.foreign).toContain('solo/data/copied.json');
  });

  it('scopes the root policy to the site keys; the whole bucket only with --public-bucket (dry run prints it)', async () => {
    const lines: string[] = [];
    await runDeploy(options({ dryRun: true, lines }));
    const scoped = lines.find((l) => l.startsWith('public read policy resources: '));
    expect(scoped).toBeDefined();
    const resources = scoped!.slice('public read policy resources: '.length).split(', ');
    expect(resources).toEqual(
      expect.arrayContaining([
        `arn:aws:s3:::${BUCKET}/index.html`,
        `arn:aws:s3:::${BUCKET}/assets/*`,
        `arn:aws:s3:::${BUCKET}/data/*`,
      ]),
    );
    expect(resources).not.toContain(`arn:aws:s3:::${BUCKET}/*`);
    for (const r of resources) expect(r).not.toMatch(/\/(demo2?|notes)\//);

    const publicLines: string[] = [];
    await runDeploy(options({ dryRun: true, publicBucket: true, lines: publicLines }));
    expect(publicLines).toContain(`public read policy resources: arn:aws:s3:::${BUCKET}/*`);
    await expect(runDeploy(options({ prefix: 'demo', dryRun: true, publicBucket: true }))).rejects.toThrow(
      /--public-bucket/,
    );
  });

  it('until the new page is up, the policy keeps the live site readable; afterwards it names the new site only', async () => {
    const [v1, v2] = versions;
    // v2's service worker runtime has another name at the top level, as a rebuild of workbox's would.
    const site = join(tmp, 'site-v2-renamed');
    await cp(v2.site, site, { recursive: true });
    await rename(join(site, 'workbox-4f2a9c1e.js'), join(site, 'workbox-77aa00bb.js'));
    await runDeploy(options({ prefix: 'policy', siteDir: v1.site, dataDir: v1.data }));
    const lines: string[] = [];
    await runDeploy(options({ prefix: 'policy', siteDir: site, dataDir: v2.data, deleteStale: true, lines }));
    const stated = lines
      .filter((l) => l.startsWith('public read policy resources: '))
      .map((l) => l.slice('public read policy resources: '.length).split(', '));
    const old = `arn:aws:s3:::${BUCKET}/policy/workbox-4f2a9c1e.js`;
    const renamed = `arn:aws:s3:::${BUCKET}/policy/workbox-77aa00bb.js`;
    expect(stated).toHaveLength(2);
    // Before the uploads: the live v1 page's runtime and the new one (a deploy killed now leaves v1 working).
    expect(stated[0]).toEqual(expect.arrayContaining([old, renamed]));
    // After, with --delete: the old runtime is gone, and so is its grant.
    expect(stated[1]).toContain(renamed);
    expect(stated[1]).not.toContain(old);
  });

  it('an object no deploy wrote, at a key the site needs, stops the deploy before any upload', async () => {
    const [v1] = versions;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'mine/favicon.svg', Body: '<svg/>' }));
    const before = await listing('mine/');
    await expect(runDeploy(options({ prefix: 'mine', siteDir: v1.site, dataDir: v1.data }))).rejects.toThrow(
      /would overwrite 1 object\(s\) that no deploy wrote: mine\/favicon\.svg\. Nothing was uploaded/,
    );
    expect(await listing('mine/')).toEqual(before);
  });

  it('refuses a policy that would make objects no deploy wrote public, before changing the bucket', async () => {
    const [v1] = versions;
    // A bucket of its own, so that "nothing configured" can be read back.
    const bucket = 'private-files';
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'priv/data/secret.json', Body: '{"salary":1}' }),
    );
    const bucketListing = async () =>
      ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map(
        (o) => `${o.Key} ${o.ETag}`,
      );
    const before = await bucketListing();
    const lines: string[] = [];
    for (const dryRun of [true, false]) {
      await expect(
        runDeploy(options({ bucket, prefix: 'priv', siteDir: v1.site, dataDir: v1.data, dryRun, lines })),
      ).rejects.toThrow(
        /public-read policy would let anyone read 1 object\(s\) that no deploy wrote: priv\/data\/secret\.json\. Nothing was changed/,
      );
    }
    expect(await bucketListing()).toEqual(before);
    expect(lines.filter((l) => /website|CORS|policy/i.test(l))).toEqual([]);
    await expect(client.send(new GetBucketWebsiteCommand({ Bucket: bucket }))).rejects.toThrow();
    await expect(client.send(new GetBucketCorsCommand({ Bucket: bucket }))).rejects.toThrow();

    // A bad option is refused before any setting changes too (it was after website hosting and CORS).
    await expect(
      runDeploy(options({ bucket, prefix: 'other', siteDir: v1.site, dataDir: v1.data, publicBucket: true })),
    ).rejects.toThrow(/--public-bucket/);
    await expect(client.send(new GetBucketWebsiteCommand({ Bucket: bucket }))).rejects.toThrow();

    // Outside the policy's keys the same object is only kept; with --no-configure the policy is the person's.
    await runDeploy(
      options({ bucket, prefix: 'priv', siteDir: v1.site, dataDir: v1.data, configure: false }),
    );
    expect((await bucketListing()).filter((k) => k.startsWith('priv/data/secret.json'))).toEqual(before);
  });

  it('refuses a data dir whose originals are not plain raster images, before touching the bucket', async () => {
    const before = await listing();
    const data = join(tmp, 'data-svg');
    const fixture = await writeFixtureData(data, 3);
    const original = fixture.referenced.find((p) => p.startsWith('originals/'))!;
    const svg = original.replace(/\.png$/, '.svg');
    await writeFile(join(data, svg), await readFile(join(data, original)));
    // A whole catalog naming an .svg original, as an older builder wrote it (manifest v1 pointing at it).
    if (fixture.manifest.version !== 3) throw new Error('expected a resident fixture');
    const items = await (
      await ResidentCollection.open(fixture.manifest, fileDataSource(data))
    ).itemsInRowOrder();
    const catalog = catalogFromItems(
      items.map((it) => (it.original === original ? { ...it, original: svg } : it)),
    );
    const bytes = Buffer.from(JSON.stringify(catalog));
    const name = contentAddressedName('catalog', 'json', bytes);
    await writeFile(join(data, name), bytes);
    const manifest = { ...fixture.manifest, version: 1, catalog: fileRefFor(name, bytes) };
    await writeFile(join(data, 'manifest.json'), JSON.stringify(manifest));
    await expect(runDeploy(options({ prefix: 'svg', dataDir: data }))).rejects.toThrow(
      /not plain raster images/,
    );
    expect(await listing()).toEqual(before);
  });
});
