import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketWebsiteCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureBucket } from './bucketConfig';
import { CORS_RULE } from './bucketSettings';
import { runDeploy } from './deploy';
import { forwardRequest } from '../testing/httpForward';
import { writeFixtureData, writeFixtureSite } from '../testing/deployFixture';
import { s3ClientFor } from '../storage/s3ClientFor';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { testDeployOptions } from '../testing/deployOptions';

/*
 * A refused bucket setting (audit fault 2: account-level Block Public Access refuses the public
 * policy) used to leave website hosting, a CORS rule and a lifted public access block behind, and
 * the deploy said only "Access Denied". Now the call most often refused goes first, whatever was
 * changed before it is put back, and the error names the call.
 */

/** A bucket's settings, as a fake S3 client keeps them: undefined is "none". */
interface Settings {
  website?: object;
  cors?: object[];
  block?: Record<string, boolean>;
  policy?: string;
}

function s3Error(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

/**
 * Just the bucket-setting calls of an S3 client, over `settings`; commands named in `deny` answer
 * AccessDenied. `calls` records every command in order.
 */
function fakeS3(settings: Settings, deny: string[]) {
  const calls: string[] = [];
  const missing = (name: string) => s3Error(name, 'not set', 404);
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push(name);
      if (deny.includes(name)) throw s3Error('AccessDenied', 'Access Denied', 403);
      const input = command.input;
      switch (name) {
        case 'GetBucketWebsite':
          if (!settings.website) throw missing('NoSuchWebsiteConfiguration');
          return settings.website;
        case 'PutBucketWebsite':
          settings.website = input.WebsiteConfiguration as object;
          return {};
        case 'DeleteBucketWebsite':
          delete settings.website;
          return {};
        case 'GetBucketCors':
          if (!settings.cors) throw missing('NoSuchCORSConfiguration');
          return { CORSRules: settings.cors };
        case 'PutBucketCors':
          settings.cors = (input.CORSConfiguration as { CORSRules: object[] }).CORSRules;
          return {};
        case 'DeleteBucketCors':
          delete settings.cors;
          return {};
        case 'GetPublicAccessBlock':
          if (!settings.block) throw missing('NoSuchPublicAccessBlockConfiguration');
          return { PublicAccessBlockConfiguration: settings.block };
        case 'PutPublicAccessBlock':
          settings.block = input.PublicAccessBlockConfiguration as Record<string, boolean>;
          return {};
        case 'GetBucketPolicy':
          if (settings.policy === undefined) throw missing('NoSuchBucketPolicy');
          return { Policy: settings.policy };
        case 'PutBucketPolicy':
          settings.policy = input.Policy as string;
          return {};
        case 'DeleteBucketPolicy':
          delete settings.policy;
          return {};
        default:
          throw new Error(`the fake S3 has no ${name}`);
      }
    },
  };
  return { client: client as unknown as S3Client, calls };
}

const ALL_BLOCKED = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

function target(client: S3Client, lines: string[]) {
  return {
    client,
    bucket: 'pics',
    prefix: 'x',
    region: 'us-east-1',
    dryRun: false,
    sitePaths: ['index.html', 'assets/a-12345678.js', 'data/manifest.json'],
    publicBucket: false,
    log: (line: string) => lines.push(line),
  };
}

/** The settings compared by meaning: a policy put back may be written out differently. */
function normalised(s: Settings) {
  return { ...s, policy: s.policy === undefined ? undefined : (JSON.parse(s.policy) as unknown) };
}

const WRITES = /^(Put|Delete)/;

describe('configureBucket when a write is refused (fake S3)', () => {
  it('a refused policy: lifts the public access block only, puts it back, and names the call', async () => {
    const settings: Settings = { block: { ...ALL_BLOCKED } };
    const before = structuredClone(settings);
    const { client, calls } = fakeS3(settings, ['PutBucketPolicy']);
    const lines: string[] = [];
    await expect(configureBucket(target(client, lines))).rejects.toThrow(
      /^putting the bucket policy was denied: Access Denied\. The bucket was left as it was \(put back the public access block\)\. Block Public Access on the account/,
    );
    expect(settings).toEqual(before);
    // Website hosting and CORS were never written: the policy, which needs the block lifted, goes first.
    expect(calls.filter((c) => WRITES.test(c))).toEqual([
      'PutPublicAccessBlock',
      'PutBucketPolicy',
      'PutPublicAccessBlock',
    ]);
    expect(lines.some((l) => /website|CORS/.test(l))).toBe(false);
  });

  it('a refused website setting after the policy: the policy and the block are put back', async () => {
    const other = {
      Sid: 'Backup',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::1:root' },
      Action: 's3:*',
    };
    const settings: Settings = {
      block: { ...ALL_BLOCKED },
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [other] }),
      cors: [{ ID: 'uploads', AllowedMethods: ['PUT'], AllowedOrigins: ['https://a.example'] }],
    };
    const before = normalised(structuredClone(settings));
    const { client } = fakeS3(settings, ['PutBucketWebsite']);
    await expect(configureBucket(target(client, []))).rejects.toThrow(
      /^putting the website configuration was denied: Access Denied\. The bucket was left as it was \(took this deploy's statement out of the bucket policy again; put back the public access block\)\. The credentials need s3:PutBucketWebsite/,
    );
    expect(normalised(settings)).toEqual(before);
  });

  it('a refused CORS rule last: website hosting goes off again, the policy goes, the block comes back', async () => {
    const settings: Settings = { block: { ...ALL_BLOCKED } };
    const before = structuredClone(settings);
    const { client } = fakeS3(settings, ['PutBucketCors']);
    await expect(configureBucket(target(client, []))).rejects.toThrow(
      /^putting the CORS configuration was denied: .*turned website hosting off again; took this deploy's statement out of the bucket policy again; put back the public access block/,
    );
    expect(settings).toEqual(before);
  });

  it('says what is left changed when putting something back fails too', async () => {
    const settings: Settings = { block: { ...ALL_BLOCKED } };
    const { client } = fakeS3(settings, ['PutBucketCors', 'DeleteBucketWebsite']);
    await expect(configureBucket(target(client, []))).rejects.toThrow(
      /Could not undo everything: website hosting is on \(putting it back failed: Access Denied\)\. Set it back by hand \(took this deploy's statement/,
    );
    expect(settings.website).toBeDefined();
    expect(settings.policy).toBeUndefined();
    expect(settings.block).toEqual(ALL_BLOCKED);
  });

  it('with nothing refused: block, policy, website, CORS, in that order', async () => {
    const settings: Settings = { block: { ...ALL_BLOCKED } };
    const { client, calls } = fakeS3(settings, []);
    await configureBucket(target(client, []));
    expect(calls.filter((c) => WRITES.test(c))).toEqual([
      'PutPublicAccessBlock',
      'PutBucketPolicy',
      'PutBucketWebsite',
      'PutBucketCors',
    ]);
    expect(settings.block).toMatchObject({ BlockPublicPolicy: false, RestrictPublicBuckets: false });
    expect(settings.cors).toEqual([CORS_RULE]);
  });
});

/**
 * s3rver has no bucket policy or public access block API: this proxy keeps both in memory (a new
 * bucket's block has every switch on, as on AWS) and answers PutBucketPolicy with AccessDenied, as
 * AWS does under account-level Block Public Access. Everything else goes on to s3rver.
 */
async function startDenyingPolicyProxy(target: string) {
  const upstream = new URL(target);
  let block: string | undefined;
  const blockWrites: string[] = [];
  const xml = (code: string, message: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  const body = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.has('policy')) {
      void body(req).then(() => {
        const [status, answer] =
          req.method === 'PUT'
            ? [403, xml('AccessDenied', 'Access Denied')]
            : [404, xml('NoSuchBucketPolicy', 'The bucket policy does not exist')];
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(answer);
      });
      return;
    }
    if (url.searchParams.has('publicAccessBlock')) {
      void body(req).then((text) => {
        if (req.method === 'PUT') {
          block = text;
          blockWrites.push(text);
          res.writeHead(200);
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(
          block ??
            '<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>',
        );
      });
      return;
    }
    forwardRequest(req, res, { host: upstream.hostname, port: upstream.port });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    blockWrites,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a deploy whose bucket policy is refused (s3rver behind a proxy)', () => {
  const BUCKET = 'denyb';
  let s3: RunningS3rver;
  let client: S3Client;
  let tmp: string;

  beforeAll(async () => {
    Object.assign(process.env, S3RVER_CREDENTIALS);
    tmp = await mkdtemp(join(tmpdir(), 'lookalike-bucket-config-'));
    s3 = await startS3rver();
    client = s3ClientFor({ region: 'us-east-1', endpoint: s3.endpoint, maxAttempts: 2 });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('stops before any upload, names the call, and leaves website, CORS and the block as they were', async () => {
    const site = join(tmp, 'site');
    const data = join(tmp, 'data');
    await writeFixtureSite(site, 1);
    await writeFixtureData(data, 1);
    const proxy = await startDenyingPolicyProxy(s3.endpoint);
    const lines: string[] = [];
    try {
      await expect(
        runDeploy(
          testDeployOptions({
            bucket: BUCKET,
            prefix: 'x',
            endpoint: proxy.endpoint,
            siteDir: site,
            dataDir: data,
            log: (line) => lines.push(line),
          }),
        ),
      ).rejects.toThrow(
        /^putting the bucket policy was denied: Access Denied\. The bucket was left as it was/,
      );
    } finally {
      await proxy.stop();
    }
    await expect(client.send(new GetBucketWebsiteCommand({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: 'NoSuchWebsiteConfiguration',
    });
    await expect(client.send(new GetBucketCorsCommand({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: 'NoSuchCORSConfiguration',
    });
    // Lifted for the policy, then put back with every switch on again.
    expect(proxy.blockWrites).toHaveLength(2);
    expect(proxy.blockWrites[1]).toMatch(/<BlockPublicPolicy>true<\/BlockPublicPolicy>/);
    expect(proxy.blockWrites[1]).toMatch(/<RestrictPublicBuckets>true<\/RestrictPublicBuckets>/);
    // Nothing uploaded; the lock was removed again.
    expect((await client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).toEqual([]);
  });
});
