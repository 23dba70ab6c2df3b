import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emojiPng } from '../testing/builderFixtures';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { FolderSource } from './folderSource';
import type { SourceListing } from './imageSource';
import { S3Source } from './s3Source';

/*
 * A name starting with '.' (imageSource.ts isHidden) is no part of a collection, in a folder or under
 * an S3 prefix alike: `.DS_Store`, `.git/`, the distributed build's own `.lookalike-work/` (its default
 * place is in the source bucket, docs/distributed-build.md), and so an image named `..x.png` too. Both
 * sources leave them out without a report: reported one by one, a `.git/` would fill build-report.json,
 * and the work prefix, which changes with every build, would change the listing's fingerprint with it.
 */

const BUCKET = 'lookalike-hidden-names';
const ENV = { ...S3RVER_CREDENTIALS, AWS_REGION: 'us-east-1' };

let root: string;
let s3: RunningS3rver;
const saved: Record<string, string | undefined> = {};

/** A collection with hidden files and folders at every depth, among two images that are not hidden. */
async function files(): Promise<[string, Buffer][]> {
  const png = await readFile(emojiPng('apple', '1f600.png'));
  const other = await readFile(emojiPng('google', '1f436.png'));
  return [
    ['faces/joy.png', png],
    ['odd/visible.png', other],
    ['odd/..hidden.png', other],
    ['.DS_Store', Buffer.from('Bud1 not an image')],
    ['faces/.DS_Store', Buffer.from('Bud1 not an image')],
    ['.hidden/kept-out.png', png],
    ['faces/.thumbs/kept-out.png', png],
    ['.lookalike-work/models/0123.onnx', Buffer.from('a model')],
  ];
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hidden-names-'));
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  s3 = await startS3rver();
  const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const [key, body] of await files()) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `photos/${key}`, Body: body }));
      await mkdir(dirname(join(root, 'photos', key)), { recursive: true });
      await writeFile(join(root, 'photos', key), body);
    }
  } finally {
    client.destroy();
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await s3?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const seen = (l: SourceListing) => ({
  entries: l.entries.map((e) => [e.key, e.size]),
  skipped: l.skipped.map((s) => [s.key, s.reason]),
});

describe('hidden names', () => {
  it('are left out of a folder and of an S3 prefix alike, images or not, without a report', async () => {
    const fromS3 = seen(await new S3Source(`s3://${BUCKET}/photos`, { endpoint: s3.endpoint }).list());
    const fromFolder = seen(await new FolderSource(join(root, 'photos')).list());
    expect(fromS3).toEqual(fromFolder);
    expect(fromS3.entries.map(([key]) => key)).toEqual(['faces/joy.png', 'odd/visible.png']);
    expect(fromS3.skipped).toEqual([]);
  });
});
