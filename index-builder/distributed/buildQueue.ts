import type { JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { parseModelSpec, type ModelSpec } from '../../core/modelSpec';
import type { AugmentPlan } from '../augmentedViews';
import type { SourceEntry } from '../imageSource';

/**
 * Bump when BuildJobData changes meaning, so a worker refuses jobs it would misread. 3: keepMetadata,
 * which a worker before it would not see, storing stripped originals where the merge wants them kept.
 */
export const BUILD_JOB_VERSION = 3;

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
  /**
   * Store originals with their metadata, as `build-index --keep-metadata` does (safeOriginal.ts
   * storedOriginalName: kept and stripped originals have names of their own).
   */
  keepMetadata: boolean;
  /** In listing order; the shard lists its images in this order. */
  entries: SourceEntry[];
}

/**
 * A job as a worker took it from Redis, checked before anything is done with it: anyone who can
 * write to Redis can put a job in a build's queue, and a worker acts on what it says with its own
 * credentials. Throws naming the job and what is wrong.
 */
export function checkBuildJobData(data: unknown, queueName: string): BuildJobData {
  const d = data as Partial<BuildJobData> | null;
  const name = typeof d?.jobId === 'string' ? `job ${queueName}/${d.jobId}` : `a job on ${queueName}`;
  const fail = (problem: string): never => {
    throw new Error(`${name} is malformed: ${problem}`);
  };
  if (d === null || typeof d !== 'object') return fail('its data is not an object');
  if (d.jobVersion !== BUILD_JOB_VERSION) {
    throw new Error(
      `${name} has job format ${String(d.jobVersion)}, this worker reads ${BUILD_JOB_VERSION}: ` +
        'run the same Lookalike version as the coordinator',
    );
  }
  if (typeof d.buildId !== 'string' || queueNameFor(d.buildId) !== queueName)
    fail(`its build id ${JSON.stringify(d.buildId)} is not the queue's`);
  if (typeof d.jobId !== 'string' || !/^job-\d{5,}$/.test(d.jobId)) fail('its job id is not job-NNNNN');
  for (const field of ['source', 'work'] as const) {
    if (typeof d[field] !== 'string' || !d[field].startsWith('s3://'))
      fail(`its ${field} is not an s3:// URL`);
  }
  if (typeof d.model?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.model.sha256))
    fail('its model has no sha256');
  try {
    parseModelSpec(d.model!.spec);
  } catch (err) {
    fail(`its model spec: ${(err as Error).message}`);
  }
  const positive = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
  if (!positive(d.maxPixels) || !positive(d.batchSize))
    fail('maxPixels and batchSize must be positive integers');
  const a = d.augment;
  if (
    typeof a?.viewsPerImage !== 'number' ||
    !(a.viewsPerImage >= 0) ||
    typeof a.sampleRate !== 'number' ||
    !(a.sampleRate >= 0 && a.sampleRate <= 1)
  )
    fail('its augment plan is not {viewsPerImage ≥ 0, sampleRate in [0, 1]}');
  if (typeof d.keepMetadata !== 'boolean') fail('its keepMetadata is not true or false');
  if (!Array.isArray(d.entries)) return fail('it lists no entries');
  d.entries.forEach((e: Partial<SourceEntry> | null, i) => {
    const ok =
      e !== null &&
      typeof e === 'object' &&
      ['album', 'path', 'key', 'location', 'version'].every(
        (f) => typeof e[f as keyof SourceEntry] === 'string',
      ) &&
      typeof e.size === 'number' &&
      Number.isSafeInteger(e.size) &&
      e.size >= 0;
    if (!ok) fail(`entry ${i} is not {album, path, key, location, size, version}`);
  });
  return d as BuildJobData;
}

/** A job's name for messages, from its data when that holds one (jobs are checked only when run). */
export function jobName(job: { id?: string; data: unknown }): string {
  const id = (job.data as { jobId?: unknown } | null)?.jobId;
  return typeof id === 'string' ? id : (job.id ?? 'without an id');
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
