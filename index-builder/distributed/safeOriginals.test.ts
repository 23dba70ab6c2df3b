import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, readdir, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../../testing/s3rverForTests';
import { contentHash } from '../contentAddress';
import { phonePhoto, shapePng } from '../../testing/builderFixtures';
import { SCRIPTED_SVG } from '../../testing/scriptedSvg';
import { ownedFiles, verifyDataDir } from '../../testing/dataDirChecks';
import { startCli, type CliProcess } from '../../testing/cliProcess';
import { tearDownTestBed } from '../../testing/distributedTestBed';
import { startRedisForTests, type RunningRedis } from '../../testing/redisForTests';
import { recordedSourceHash, storedOriginalName } from '../../storage/storedOriginal';

/*
 * The distributed build stores originals through the same pipeline as one machine: an SVG with a
 * script becomes a PNG original on the worker, and the coordinator's merge accepts it as the original
 * of that source (it records the source's sha256), so no .svg reaches the data dir. With
 * --keep-metadata the workers store them as the source has them, as one machine does.
 */

const BUCKET = 'lookalike-safe-originals';
const ENV = { ...S3RVER_CREDENTIALS, AWS_REGION: 'us-east-1' };

/** Photos as a phone leaves them (EXIF with a position and the owner's name), under photos-with-exif/. */
const PHONES: Record<string, Buffer> = {};

let root: string;
let s3: RunningS3rver;
let redis: RunningRedis;
const children: CliProcess[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'distributed-safe-originals-'));
  [s3, redis] = await Promise.all([startS3rver(), startRedisForTests()]);
  const client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: ENV.AWS_ACCESS_KEY_ID, secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const files: [string, Uint8Array][] = [
    ['mixed/a.png', await shapePng(21)],
    ['mixed/b.png', await shapePng(22)],
    ['mixed/scripted.svg', SCRIPTED_SVG],
  ];
  for (const [key, body] of files) {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `photos/${key}`, Body: body }));
  }
  for (const seed of [31, 32, 33]) PHONES[`trip/phone-${seed}.jpg`] = await phonePhoto(seed);
  for (const [key, body] of Object.entries(PHONES)) {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `photos-with-exif/${key}`, Body: body }));
  }
  client.destroy();
});

/**
 * Builds s3://BUCKET/<prefix> into `out` with `npm run build-index -- --queue …` and, when it queues
 * jobs, one worker; returns the coordinator's output.
 */
async function distributedBuild(out: string, prefix: string, args: string[]): Promise<string> {
  const coordinator = startCli(
    'index-builder/buildIndexCli.ts',
    [
      ...['--queue', redis.url, '--source', `s3://${BUCKET}/${prefix}`, '--endpoint', s3.endpoint],
      ...['--data-dir', out, '--work', `s3://${BUCKET}/scratch`, '--job-size', '2', ...args],
    ],
    ENV,
  );
  children.push(coordinator);
  const [line] = await coordinator.waitForLine(/queued \d+ jobs|no jobs to queue|^up to date/);
  if (line.includes('queued')) {
    const worker = startCli(
      'index-builder/distributed/buildWorkerCli.ts',
      [
        ...['--queue', redis.url, '--endpoint', s3.endpoint, '--threads', '1', '--exit-when-idle'],
        ...['--model-cache', join(root, 'models')],
      ],
      ENV,
    );
    children.push(worker);
    expect((await worker.exited).code, worker.output()).toBe(0);
  }
  expect((await coordinator.exited).code, coordinator.output()).toBe(0);
  return coordinator.output();
}

/** Each photo's original in the data dir `out`, by its key. */
async function originalsIn(out: string): Promise<Map<string, { path: string; bytes: Buffer }>> {
  const { catalog } = await verifyDataDir(out);
  const found = new Map<string, { path: string; bytes: Buffer }>();
  for (const key of Object.keys(PHONES)) {
    const item = catalog.items.find((it) => it.name === key.split('/').pop());
    if (item === undefined) throw new Error(`${key} is not in ${out}`);
    found.set(key, { path: item.original, bytes: await readFile(join(out, item.original)) });
  }
  return found;
}

afterAll(() => tearDownTestBed({ children, redis, s3, root }));

it('a distributed build stores an SVG with a script as a PNG original', async () => {
  const out = join(root, 'out');
  const coordinator = startCli(
    'index-builder/buildIndexCli.ts',
    [
      ...['--queue', redis.url, '--source', `s3://${BUCKET}/photos`, '--endpoint', s3.endpoint],
      ...['--data-dir', out, '--work', `s3://${BUCKET}/scratch`, '--job-size', '2'],
    ],
    ENV,
  );
  children.push(coordinator);
  await coordinator.waitForLine(/queued (\d+) jobs/);
  const worker = startCli(
    'index-builder/distributed/buildWorkerCli.ts',
    [
      ...['--queue', redis.url, '--endpoint', s3.endpoint, '--threads', '1', '--exit-when-idle'],
      ...['--model-cache', join(root, 'models')],
    ],
    ENV,
  );
  children.push(worker);
  const { code } = await coordinator.exited;
  expect(code, coordinator.output()).toBe(0);
  expect((await worker.exited).code, worker.output()).toBe(0);

  const data = await verifyDataDir(out);
  const svgItem = data.catalog.items.find((it) => it.name === 'scripted.svg');
  expect(svgItem?.original).toMatch(/^originals\/[0-9a-f]{16}\.png$/);
  const stored = await readFile(join(out, svgItem!.original));
  expect((await sharp(stored).metadata()).format).toBe('png');
  expect(recordedSourceHash(stored)).toBe(contentHash(SCRIPTED_SVG));
  expect((await readdir(join(out, 'originals'))).filter((n) => n.endsWith('.svg'))).toEqual([]);
});

it('a distributed build with --keep-metadata publishes originals as the source has them, as one machine does', async () => {
  const kept = join(root, 'kept');
  // Before, the coordinator refused --keep-metadata with --queue.
  await distributedBuild(kept, 'photos-with-exif', ['--keep-metadata', '--cache', join(root, 'cache-kept')]);
  for (const [key, original] of await originalsIn(kept)) {
    expect(original.path).toBe(storedOriginalName(contentHash(PHONES[key]), 'jpg', true));
    expect(original.bytes).toEqual(PHONES[key]);
  }

  const single = join(root, 'kept-single');
  const one = startCli(
    'index-builder/buildIndexCli.ts',
    [
      ...['--source', `s3://${BUCKET}/photos-with-exif`, '--endpoint', s3.endpoint, '--data-dir', single],
      ...['--cache', join(root, 'cache-single'), '--keep-metadata', '--quiet'],
    ],
    ENV,
  );
  children.push(one);
  expect((await one.exited).code, one.output()).toBe(0);
  const [a, b] = [await verifyDataDir(single), await verifyDataDir(kept)];
  expect({ ...b.manifest, createdAt: '' }).toEqual({ ...a.manifest, createdAt: '' });
  expect(await ownedFiles(kept)).toEqual(await ownedFiles(single));

  // Without it, the next build strips them again, under the stripped originals' own names.
  await distributedBuild(kept, 'photos-with-exif', ['--cache', join(root, 'cache-kept')]);
  for (const [key, original] of await originalsIn(kept)) {
    expect(original.path).toBe(storedOriginalName(contentHash(PHONES[key]), 'jpg', false));
    expect(original.bytes.includes('Jane Doe')).toBe(false);
    expect(Buffer.from(PHONES[key]).includes('Jane Doe')).toBe(true);
  }
});

it('a distributed rebuild makes again a thumbnail and an original damaged in the data dir', async () => {
  const out = join(root, 'damaged');
  const args = ['--cache', join(root, 'cache-damaged')];
  await distributedBuild(out, 'photos-with-exif', args);
  const { catalog } = await verifyDataDir(out);
  const item = catalog.items.find((it) => it.name === 'phone-32.jpg');
  const files = [join(out, item?.thumb ?? 'missing'), join(out, item?.original ?? 'missing')];
  const made = await Promise.all(files.map((f) => readFile(f)));
  for (const [i, f] of files.entries()) await truncate(f, made[i].length >> 1);

  // Before, the source being unchanged, the build was up to date and the files stayed broken.
  const output = await distributedBuild(out, 'photos-with-exif', args);
  expect(output).toMatch(/queued 1 jobs of up to 2 images \(1 images; 2 unchanged\)/);
  expect(output).toMatch(/repaired 1 thumbnail and 1 original damaged in the data dir/);
  for (const [i, f] of files.entries()) expect(await readFile(f)).toEqual(made[i]);
  expect(await distributedBuild(out, 'photos-with-exif', args)).toMatch(/^up to date/m);
});
