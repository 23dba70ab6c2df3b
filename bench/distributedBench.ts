import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { parseManifest } from '../core/manifest';
import { S3RVER_CREDENTIALS, startS3rver } from '../testing/s3rverForTests';
import { buildIndex } from '../index-builder/buildIndex';
import { startRedisForTests } from '../testing/redisForTests';
import { runDistributedBuild } from './runDistributedBuild';
import { loadModel } from '../index-builder/loadModel';
import { S3Source } from '../index-builder/s3Source';
import { EMOJI_VENDORS, emojiImages } from '../models/research/emojiDataset';

/** Area 8: the BullMQ build with 1 and 2 worker processes against a single-machine build. */
export interface DistributedBuildResult {
  images: number;
  jobSize: number;
  threadsPerWorker: number;
  singleMachine: { totalMs: number; imagesPerSecond: number };
  rows: {
    workers: number;
    listMs: number;
    queueMs: number;
    mergeMs: number;
    totalMs: number;
    imagesPerSecond: number;
  }[];
  /** Index and catalog bytes of every distributed build equal the single-machine build's. */
  equalToSingleMachine: boolean;
  /**
   * 1 % more images added to the source, then the 1-worker build's data dir rebuilt with 1 worker:
   * only the new images are queued, and the merge publishes as an incremental single-machine build.
   */
  incremental?: {
    added: number;
    images: number;
    featurized: number;
    listMs: number;
    queueMs: number;
    mergeMs: number;
    totalMs: number;
    /** The single-machine build rebuilt from its own previous build over the same source. */
    singleMachineMs: number;
    equalToSingleMachine: boolean;
  };
}

const BUCKET = 'lookalike-bench';
const PREFIX = 'collection';

async function indexAndCatalog(dir: string): Promise<string> {
  const m = parseManifest(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')));
  return `${m.index.sha256}:${m.catalog.sha256}`;
}

/**
 * `imagesPerVendor` × 3 emoji: keep it under 1,000 objects, s3rver on Node 20 cannot page a listing
 * without the legacy OpenSSL provider.
 */
export async function distributedBench(
  imagesPerVendor: number,
  jobSize: number,
  log: (m: string) => void,
): Promise<DistributedBuildResult> {
  const work = await mkdtemp(path.join(tmpdir(), 'lookalike-distributed-bench-'));
  const s3 = await startS3rver();
  const redis = await startRedisForTests({ allowShared: false });
  const savedEnv = { ...process.env };
  Object.assign(process.env, S3RVER_CREDENTIALS, { AWS_REGION: 'us-east-1' });
  try {
    const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const emoji = (start: number, end: number) =>
      EMOJI_VENDORS.flatMap((v) =>
        emojiImages(v)
          .slice(start, end)
          .map((e) => ({ key: `${PREFIX}/${v}/${e.unified}.png`, file: e.file })),
      );
    const limit = pLimit(8);
    const upload = (files: { key: string; file: string }[]) =>
      Promise.all(
        files.map((f) =>
          limit(() =>
            client.send(new PutObjectCommand({ Bucket: BUCKET, Key: f.key, Body: readFileSync(f.file) })),
          ),
        ),
      );
    const files = emoji(0, imagesPerVendor);
    log(`  uploading ${files.length} emoji to s3rver`);
    await upload(files);
    const sourceUrl = `s3://${BUCKET}/${PREFIX}`;
    const model = await loadModel();

    log('  single-machine build');
    const single = path.join(work, 'single');
    const t = performance.now();
    const buildSingle = () =>
      buildIndex({
        source: new S3Source(sourceUrl, { endpoint: s3.endpoint }),
        dataDir: single,
        model,
        cacheDir: path.join(work, 'cache'),
        force: true,
      });
    const { report } = await buildSingle();
    const singleMs = performance.now() - t;
    const expected = await indexAndCatalog(single);

    const rows: DistributedBuildResult['rows'] = [];
    let equal = true;
    for (const workers of [1, 2]) {
      log(`  distributed build, ${workers} worker(s)`);
      const dataDir = path.join(work, `distributed-${workers}`);
      const r = await runDistributedBuild({
        sourceUrl,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        dataDir,
        redisUrl: redis.url,
        workers,
        jobSize,
        threads: 1,
        workUrl: `s3://${BUCKET}/work-${workers}`,
        model,
        cacheDir: path.join(work, `coordinator-cache-${workers}`),
      });
      rows.push({ workers, ...r });
      if ((await indexAndCatalog(dataDir)) !== expected) equal = false;
    }

    // +1 %: the 1-worker build's data dir and coordinator cache, a few more emoji of each vendor.
    const more = Math.max(1, Math.round(imagesPerVendor / 100));
    const added = emoji(imagesPerVendor, imagesPerVendor + more);
    await upload(added);
    log(`  +${added.length} images: single-machine rebuild, then distributed rebuild with 1 worker`);
    const ts = performance.now();
    await buildSingle();
    const singleMachineMs = performance.now() - ts;
    const again = await runDistributedBuild({
      sourceUrl,
      endpoint: s3.endpoint,
      region: 'us-east-1',
      dataDir: path.join(work, 'distributed-1'),
      redisUrl: redis.url,
      workers: 1,
      jobSize,
      threads: 1,
      workUrl: `s3://${BUCKET}/work-1`,
      model,
      cacheDir: path.join(work, 'coordinator-cache-1'),
    });
    client.destroy();
    return {
      images: report.counts.indexed,
      jobSize,
      threadsPerWorker: 1,
      singleMachine: { totalMs: singleMs, imagesPerSecond: (report.counts.indexed / singleMs) * 1000 },
      rows,
      equalToSingleMachine: equal,
      incremental: {
        added: added.length,
        images: again.indexed,
        featurized: again.featurized,
        listMs: again.listMs,
        queueMs: again.queueMs,
        mergeMs: again.mergeMs,
        totalMs: again.totalMs,
        singleMachineMs,
        equalToSingleMachine:
          (await indexAndCatalog(path.join(work, 'distributed-1'))) === (await indexAndCatalog(single)),
      },
    };
  } finally {
    process.env = savedEnv;
    await redis.stop();
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  }
}
