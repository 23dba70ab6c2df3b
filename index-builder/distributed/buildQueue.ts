import type { JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { ModelSpec } from '../../core/modelSpec';
import type { AugmentPlan } from '../augmentedViews';
import type { SourceEntry } from '../imageSource';

/** Bump when BuildJobData changes meaning, so a worker refuses jobs it would misread. */
export const BUILD_JOB_VERSION = 2;

/** One job: a slice of the listing for one worker to featurize into a partial shard. */
export interface BuildJobData {
  jobVersion: typeof BUILD_JOB_VERSION;
  buildId: string;
  /** `job-00012`: names the shard; the index is the slice's position in the listing. */
  jobId: string;
  /** `s3://bucket/prefix/` of the images. */
  source: string;
  /** `s3://bucket/prefix/` of the build's work prefix (workStore.ts). */
  work: string;
  model: { sha256: string; spec: ModelSpec };
  maxPixels: number;
  batchSize: number;
  /** Which images get edited copies: planned on the whole listing, so every job picks alike. */
  augment: AugmentPlan;
  /** In listing order; the shard lists its images in this order. */
  entries: SourceEntry[];
}

/** What a worker returns for a finished job; the data itself is in the shard. */
export interface BuildJobResult {
  /** Relative to the work prefix. */
  shardKey: string;
  images: number;
  skipped: number;
  featurized: number;
  processMs: number;
  modelLoadMs: number;
  modelWaitMs: number;
  /** `host:pid` of the worker that finished it. */
  worker: string;
}

/** One queue per build, so jobs of two builds (even of the same source) never mix. */
export function queueNameFor(buildId: string): string {
  return `lookalike-build-${buildId}`;
}

export function jobIdFor(index: number): string {
  return `job-${String(index).padStart(5, '0')}`;
}

export interface RetryPolicy {
  /** Tries per job, the first included. */
  attempts: number;
  /** Wait before the first retry; doubles for each further one. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 5000 };

export function jobOptions(jobId: string, retry: RetryPolicy): JobsOptions {
  return {
    jobId,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    // The coordinator reads every job's outcome, then removes the whole queue.
    removeOnComplete: false,
    removeOnFail: false,
  };
}

/**
 * How long a job stays owned by a worker that stopped renewing it, and how often workers look for
 * such jobs: a SIGKILLed worker's job goes back to the queue after about lockDuration + stalledInterval.
 */
export interface StallPolicy {
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Times a job may be taken back from a vanished worker before it counts as failed. */
  maxStalledCount: number;
}

export const DEFAULT_STALL: StallPolicy = {
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 2,
};

/** BullMQ's connection option for a redis:// URL. */
export function bullConnection(redisUrl: string): { url: string } {
  return { url: redisUrl };
}

/**
 * A plain connection for the build registry. The first connect fails with a clear message instead of
 * retrying forever when nothing answers at `url`; once up, it reconnects like any client.
 */
export async function connectRedis(url: string): Promise<Redis> {
  let connected = false;
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    retryStrategy: (times) => (connected ? Math.min(times * 200, 5000) : null),
  });
  // Failures reach callers through the commands that fail; without a listener ioredis would also
  // print every failed reconnect as an unhandled error event. The first one says why connect failed.
  let why: Error | undefined;
  redis.on('error', (err: Error) => (why ??= err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${url}: ${(why ?? (err as Error)).message}`, { cause: err });
  }
  connected = true;
  return redis;
}
