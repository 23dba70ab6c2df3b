import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from './s3rverForTests';
import { loadModel, type LoadedModel } from '../index-builder/loadModel';
import type { CliProcess } from './cliProcess';

/** What the distributed-build tests' processes need in their environment to reach s3rver. */
export const TEST_BED_ENV = { ...S3RVER_CREDENTIALS, AWS_REGION: 'us-east-1' };

/**
 * Starts what a distributed-build test runs against: a temp dir, s3rver with `bucket` filled by
 * `upload`, a Redis from `startRedis`, the default model, and TEST_BED_ENV in process.env (the
 * values it replaced are in `savedEnv`, for tearDownTestBed).
 */
export async function openTestBed<R extends { stop(): Promise<void> }>(o: {
  prefix: string;
  bucket: string;
  startRedis: () => Promise<R>;
  upload: (client: S3Client) => Promise<void>;
}): Promise<{
  root: string;
  s3: RunningS3rver;
  redis: R;
  model: LoadedModel;
  savedEnv: Record<string, string | undefined>;
}> {
  const root = await mkdtemp(join(tmpdir(), o.prefix));
  const savedEnv: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(TEST_BED_ENV)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  const [s3, redis, model] = await Promise.all([startS3rver(), o.startRedis(), loadModel()]);
  const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
  try {
    await client.send(new CreateBucketCommand({ Bucket: o.bucket }));
    await o.upload(client);
  } finally {
    client.destroy();
  }
  return { root, s3, redis, model, savedEnv };
}

/**
 * Stops what a distributed-build test started, whatever state it is in: CLI processes still running
 * (SIGKILL), the Redis and s3rver servers, environment overrides (restored from `savedEnv`), the temp dir.
 */
export async function tearDownTestBed(bed: {
  children: CliProcess[];
  redis?: { stop(): Promise<void> };
  s3?: { stop(): Promise<void> };
  savedEnv?: Record<string, string | undefined>;
  root?: string;
}): Promise<void> {
  for (const c of bed.children)
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await bed.redis?.stop();
  await bed.s3?.stop();
  for (const [k, v] of Object.entries(bed.savedEnv ?? {})) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (bed.root !== undefined) await rm(bed.root, { recursive: true, force: true });
}
