import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from './buildIndex';
import { FIXTURE_KEYS, makeFixtureCollection } from './fixtures/makeFixtures';
import { FolderSource } from './folderSource';
import { loadModel } from './loadModel';
import { S3Source, parseS3Url } from './s3Source';
import { runCli, verifyDataDir } from './testHelpers';

// s3rver accepts any signature made with its fixed key pair.
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
const BUCKET = 'lookalike-fixture';

describe('parseS3Url', () => {
  it('splits bucket and prefix and normalises the prefix', () => {
    expect(parseS3Url('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my-bucket/')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my-bucket/a/b')).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
    expect(parseS3Url('s3://my-bucket/a/b/')).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
  });

  it('rejects what is not an s3 URL or bucket', () => {
    expect(() => parseS3Url('http://x/y')).toThrow(/not an S3 URL/);
    expect(() => parseS3Url('s3://Bad_Bucket/x')).toThrow(/invalid S3 bucket name/);
    expect(() => parseS3Url('s3://ab')).toThrow(/invalid S3 bucket name/);
  });
});

describe('S3 source against s3rver', () => {
  let root: string;
  let server: S3rver;
  let endpoint: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 's3-source-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(root, 's3rver') });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    for (const [k, v] of Object.entries(CREDENTIALS)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await makeFixtureCollection(join(root, 'fixture'));
    const upload = async (dir: string): Promise<void> => {
      for (const d of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, d.name);
        if (d.isDirectory()) await upload(path);
        else {
          const key = `collections/emoji/${relative(join(root, 'fixture'), path)}`;
          await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(path) }));
        }
      }
    };
    await upload(join(root, 'fixture'));
    client.destroy();
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('lists albums by key prefix with ETags as versions, and finds the metadata file', async () => {
    const source = new S3Source(`s3://${BUCKET}/collections/emoji`, { endpoint });
    const { entries, metaFile } = await source.list();
    expect(entries.map((e) => e.key)).toEqual(FIXTURE_KEYS);
    expect(entries.every((e) => e.version.length > 0 && e.size > 0)).toBe(true);
    expect(metaFile?.size).toBeGreaterThan(0);
    expect(await source.readMeta()).toMatchObject({ 'faces/apple_joy.png': { vendor: 'apple' } });
  });

  it('builds through the CLI with the same ids, vectors and codes as the folder build', async () => {
    const model = await loadModel();
    const folderOut = join(root, 'from-folder');
    await buildIndex({
      source: new FolderSource(join(root, 'fixture')),
      outDir: folderOut,
      model,
      cacheDir: join(root, 'cache-folder'),
    });
    const s3Out = join(root, 'from-s3');
    const args = ['--source', `s3://${BUCKET}/collections/emoji`, '--endpoint', endpoint, '--out', s3Out];
    // A cache of its own, so the S3 build really featurizes what it downloads.
    const run = await runCli('buildIndexCli.ts', [...args, '--cache', join(root, 'cache-s3')], CREDENTIALS);
    expect(run.stderr).not.toMatch(/build-index:/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/indexed 12 images \(12 featurized, 0 cached\)/);

    const a = await verifyDataDir(folderOut);
    const b = await verifyDataDir(s3Out);
    expect(b.catalog.items.map((it) => it.id)).toEqual(a.catalog.items.map((it) => it.id));
    expect(b.catalog.items.map((it) => it.meta)).toEqual(a.catalog.items.map((it) => it.meta));
    for (let row = 0; row < a.index.count; row++) {
      expect(b.index.code(row)).toEqual(a.index.code(row));
      expect(b.index.vector(row)).toEqual(a.index.vector(row));
    }
    expect((await stat(join(s3Out, a.manifest.index.path))).size).toBe(a.manifest.index.bytes);

    const again = await runCli('buildIndexCli.ts', [...args, '--cache', join(root, 'cache-s3')], CREDENTIALS);
    expect(again.stdout).toMatch(/^up to date/);
  });

  it('fails clearly for a bucket that does not exist', async () => {
    const source = new S3Source('s3://no-such-bucket/x', { endpoint });
    await expect(source.list()).rejects.toThrow(/cannot list s3:\/\/no-such-bucket\/x\/: NoSuchBucket/);
  });
});
