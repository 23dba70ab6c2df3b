import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildIndex } from './buildIndex';
import { FIXTURE_KEYS, emojiPng, makeFixtureCollection } from '../testing/builderFixtures';
import { FolderSource } from './folderSource';
import { loadModel } from './loadModel';
import { S3Source, decodeListedKey, parseS3Url, unusableKeyProblem } from './s3Source';
import { runCli } from '../testing/builderCli';
import { verifyDataDir } from '../testing/dataDirChecks';
import { forwardRequest } from '../testing/httpForward';
import { noAwsCredentials } from '../testing/noAwsCredentials';

// s3rver accepts any signature made with its fixed key pair.
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
const BUCKET = 'lookalike-fixture';

/** A server on 127.0.0.1 and its URL; `close` drops its connections too. */
async function localServer(
  handle: Parameters<typeof createServer>[1],
): Promise<{ url: string; close(): void }> {
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

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

describe('decodeListedKey', () => {
  it("decodes S3's url encoding of listed keys: + is a space, %2B a plus, %0D a carriage return", () => {
    expect(decodeListedKey('al/a+b%2Bc%25.png')).toBe('al/a b+c%.png');
    expect(decodeListedKey('al/cr%0Dx.png')).toBe('al/cr\rx.png');
    expect(decodeListedKey('al/%C3%A9t%C3%A9.png')).toBe('al/été.png');
  });
});

describe('unusableKeyProblem', () => {
  it('accepts plain paths and names empty, . and .. segments', () => {
    expect(unusableKeyProblem('faces/joy.png')).toBeUndefined();
    expect(unusableKeyProblem('faces/..joy.png')).toBeUndefined();
    expect(unusableKeyProblem('faces//joy.png')).toBe('empty path segment');
    expect(unusableKeyProblem('/joy.png')).toBe('empty path segment');
    expect(unusableKeyProblem('faces/../joy.png')).toBe("'..' path segment");
    expect(unusableKeyProblem('faces/../../joy.png')).toBe("'..' segment leading out of the source prefix");
    expect(unusableKeyProblem('faces/./joy.png')).toBe("'.' path segment");
  });
});

describe('S3 source without credentials', () => {
  // Nothing in the SDK's chain: no keys or profile, no config files, no container or instance role.
  const absent = noAwsCredentials(join(tmpdir(), 'lookalike-no-aws'));
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(absent)) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("says where to put them, as deploy does, not only the SDK's 'from any providers'", async () => {
    // Nothing listens on port 9: were credentials found, the listing would fail with ECONNREFUSED.
    const source = new S3Source('s3://my-bucket/photos', { endpoint: 'http://127.0.0.1:9' });
    await expect(source.list()).rejects.toThrow(
      /^cannot list s3:\/\/my-bucket\/photos\/: no AWS credentials found \(.*\): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; see docs\/deploy\.md$/,
    );
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

  it('reads the first bytes of an object without the rest (a Range request)', async () => {
    const source = new S3Source(`s3://${BUCKET}/collections/emoji`, { endpoint });
    const [entry] = (await source.list()).entries;
    const whole = await source.read(entry);
    expect(whole.length).toBeGreaterThan(64);
    expect(Buffer.from(await source.readHead(entry, 16))).toEqual(Buffer.from(whole.subarray(0, 16)));
  });

  it('refuses to read an object that changed since it was listed', async () => {
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    const key = 'changing/a.png';
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.alloc(10, 1) }));
    const source = new S3Source(`s3://${BUCKET}/changing`, { endpoint });
    const [entry] = (await source.list()).entries;
    // Replaced by something much larger under the same key while the build runs.
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.alloc(1 << 20, 2) }));
    client.destroy();
    await expect(source.read(entry)).rejects.toThrow(
      /s3:\/\/\S+\/changing\/a\.png changed since it was listed/,
    );
    await expect(source.readHead(entry, 16)).rejects.toThrow(/changed since it was listed/);
    // Listed again, it is read as it now is.
    const [now] = (await source.list()).entries;
    expect((await source.read(now)).length).toBe(1 << 20);
  });

  it('builds through the CLI with the same ids, vectors and codes as the folder build', async () => {
    const model = await loadModel();
    const folderOut = join(root, 'from-folder');
    await buildIndex({
      source: new FolderSource(join(root, 'fixture')),
      dataDir: folderOut,
      model,
      cacheDir: join(root, 'cache-folder'),
    });
    const s3Out = join(root, 'from-s3');
    const args = [
      '--source',
      `s3://${BUCKET}/collections/emoji`,
      '--endpoint',
      endpoint,
      '--data-dir',
      s3Out,
    ];
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

  it('reports every key that is no usable path, and builds the rest', async () => {
    // s3rver keeps objects as files, so it cannot hold `a//b` or `..` keys: they are stored with
    // marker segments, and the listing S3 returns is rewritten to the keys a real bucket can hold.
    const markers: Record<string, string> = { '~empty~': '', '~up~': '..', '~here~': '.' };
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    const put = async (key: string, file: string) =>
      client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: `bad-keys/${key}`, Body: await readFile(file) }),
      );
    await put('faces/ok1.png', emojiPng('apple', '1f600.png'));
    await put('faces/ok2.png', emojiPng('apple', '1f602.png'));
    for (const key of [
      'faces/~empty~/a.png',
      '~empty~/b.png',
      'faces/~up~/c.png',
      '~up~/~up~/d.png',
      'faces/~here~/e.png',
    ]) {
      await put(key, emojiPng('google', '1f436.png'));
    }
    client.destroy();
    const send = S3Client.prototype.send;
    const spy = vi.spyOn(S3Client.prototype, 'send').mockImplementation(async function (
      this: S3Client,
      ...args
    ) {
      const out = (await send.apply(
        this,
        args as Parameters<typeof send>,
      )) as unknown as ListObjectsV2CommandOutput;
      if (args[0] instanceof ListObjectsV2Command) {
        for (const obj of out.Contents ?? []) {
          obj.Key = obj.Key?.split('/')
            .map((seg) => markers[seg] ?? seg)
            .join('/');
        }
      }
      return out;
    });
    try {
      const source = new S3Source(`s3://${BUCKET}/bad-keys`, { endpoint });
      const listing = await source.list();
      expect(listing.entries.map((e) => e.key)).toEqual(['faces/ok1.png', 'faces/ok2.png']);
      const expected = [
        ['../../d.png', "'..' segment leading out of the source prefix"],
        ['/b.png', 'empty path segment'],
        ['faces/../c.png', "'..' path segment"],
        ['faces/./e.png', "'.' path segment"],
        ['faces//a.png', 'empty path segment'],
      ];
      expect(listing.skipped.map((s) => [s.key, s.reason, s.message])).toEqual(
        expected.map(([key, why]) => [key, 'bad-key', `${why}: s3://${BUCKET}/bad-keys/${key}`]),
      );
      const { report } = await buildIndex({
        source,
        dataDir: join(root, 'bad-keys-out'),
        model: await loadModel(),
        cacheDir: join(root, 'cache-bad-keys'),
      });
      expect(report.counts).toMatchObject({ listed: 7, indexed: 2, skipped: 5 });
      expect(report.skipped.map((s) => [s.key, s.reason])).toEqual(expected.map(([key]) => [key, 'bad-key']));
    } finally {
      spy.mockRestore();
    }
  });

  it('fails clearly for a bucket that does not exist', async () => {
    const source = new S3Source('s3://no-such-bucket/x', { endpoint });
    await expect(source.list()).rejects.toThrow(/cannot list s3:\/\/no-such-bucket\/x\/: NoSuchBucket/);
  });

  it('gives up a store that accepts the connection and never answers, naming the source', async () => {
    // It used to hold the build for ever, printing nothing.
    const silent = await localServer(() => {});
    try {
      const source = new S3Source(`s3://${BUCKET}/x`, { endpoint: silent.url, idleTimeoutMs: 300 });
      await expect(source.list()).rejects.toThrow(/^cannot list s3:\/\/lookalike-fixture\/x\/: \w+/);
    } finally {
      silent.close();
    }
  });

  it('reads only the head of an object from a store that ignores Range, and names a metadata file it cannot read', async () => {
    const upstream = new URL(endpoint);
    const store = await localServer((req, res) => {
      if ((req.url ?? '').includes('lookalike-meta.json')) {
        req.resume();
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
        );
        return;
      }
      delete req.headers.range;
      forwardRequest(req, res, { host: upstream.hostname, port: upstream.port });
    });
    try {
      const source = new S3Source(`s3://${BUCKET}/collections/emoji`, { endpoint: store.url });
      const { entries } = await new S3Source(`s3://${BUCKET}/collections/emoji`, { endpoint }).list();
      const entry = entries[0];
      const whole = await source.read(entry);
      // Before: the whole object, then "Maximum call stack size exceeded" from the signature check.
      expect(await source.readHead(entry, 64)).toEqual(whole.subarray(0, 64));
      await expect(source.readMeta()).rejects.toThrow(
        'cannot read s3://lookalike-fixture/collections/emoji/lookalike-meta.json: AccessDenied: Access Denied',
      );
    } finally {
      store.close();
    }
  });

  it('reports a key ending in / that holds data; empty folder markers are not files', async () => {
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    const png = await readFile(emojiPng('apple', '1f600.png'));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'slash/al/pic.png/', Body: png }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'slash/al/', Body: '' }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'slash/al/ok.png', Body: png }));
    client.destroy();
    const listing = await new S3Source(`s3://${BUCKET}/slash`, { endpoint }).list();
    expect(listing.entries.map((e) => e.key)).toEqual(['al/ok.png']);
    expect(listing.skipped).toEqual([
      {
        key: 'al/pic.png/',
        reason: 'bad-key',
        message: `a key ending in '/' that holds ${png.length} bytes: s3://${BUCKET}/slash/al/pic.png/`,
      },
    ]);
  });

  it('lists keys from a store that url-encodes them (as S3 does when asked) and reads them under their real names', async () => {
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    const png = await readFile(emojiPng('apple', '1f600.png'));
    const names = ['al/a b+c%.png', 'al/été.png'];
    for (const name of names)
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `encoded/${name}`, Body: png }));
    client.destroy();
    // s3rver ignores EncodingType: this answers as S3 does, form-encoded keys and the encoding named.
    const send = S3Client.prototype.send;
    const spy = vi.spyOn(S3Client.prototype, 'send').mockImplementation(async function (
      this: S3Client,
      ...args: unknown[]
    ) {
      const out = (await send.apply(
        this,
        args as Parameters<typeof send>,
      )) as unknown as ListObjectsV2CommandOutput;
      if (args[0] instanceof ListObjectsV2Command) {
        out.EncodingType = 'url';
        for (const obj of out.Contents ?? [])
          obj.Key = encodeURIComponent(obj.Key!).replace(/%20/g, '+').replace(/%2F/g, '/');
      }
      return out;
    });
    try {
      const source = new S3Source(`s3://${BUCKET}/encoded`, { endpoint });
      const { entries } = await source.list();
      expect(entries.map((e) => e.key)).toEqual([...names].sort());
      for (const e of entries) expect(await source.read(e)).toEqual(new Uint8Array(png));
    } finally {
      spy.mockRestore();
    }
  });
});
