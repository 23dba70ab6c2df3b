import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../../testing/s3rverForTests';
import { contentHash } from '../contentAddress';
import { shapePng } from '../../testing/builderFixtures';
import { SCRIPTED_SVG } from '../../testing/scriptedSvg';
import { recordedSourceHash } from '../originalMetadata';
import { verifyDataDir } from '../../testing/dataDirChecks';
import { startCli, type CliProcess } from '../../testing/cliProcess';
import { tearDownTestBed } from '../../testing/distributedTestBed';
import { startRedisForTests, type RunningRedis } from '../../testing/redisForTests';

/*
 * The distributed build stores originals through the same pipeline as one machine: an SVG with a
 * script becomes a PNG original on the worker, and the coordinator's merge accepts it as the original
 * of that source (it records the source's sha256), so no .svg reaches the data dir.
 */

const BUCKET = 'lookalike-safe-originals';
const ENV = { ...S3RVER_CREDENTIALS, AWS_REGION: 'us-east-1' };

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
  client.destroy();
});

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
