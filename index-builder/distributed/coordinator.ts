import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findUpToDateBuild, fingerprintBuild } from '../buildFingerprint';
import { openModelCache, type BuildIndexResult } from '../buildIndex';
import { hash16 } from '../contentAddress';
import { DataDirWriter } from '../../storage/dataDirWriter';
import { DEFAULT_MAX_PIXELS, type SkipReason } from '../decodeImage';
import type { LoadedModel } from '../loadModel';
import { silentProgress, type ProgressReporter } from '../progressReporter';
import { augmentPlan, type AugmentPlan } from '../augmentedViews';
import type { EmbeddingCache } from '../embeddingCache';
import type { SourceEntry } from '../imageSource';
import type { ModelSpec } from '../../core/modelSpec';
import { finishBuild } from '../finishBuild';
import type { PublishSettings } from '../publishSettings';
import { S3Source, parseS3Url } from '../s3Source';
import { parseSourceMeta } from '../sourceMeta';
import {
  SOURCE_FILES_FILE,
  UNFINISHED_SOURCE_FILES_FILE,
  readSourceFileRecords,
  sourceFileRecordsBytes,
} from '../sourceFileRecords';
import { recallUnchanged, rememberEmbeddings } from '../unchangedImage';
import { uniqueEntries } from '../uniqueEntries';
import type { ProcessedImage } from '../imagePipeline';
import pLimit from 'p-limit';
import {
  BUILD_JOB_VERSION,
  DEFAULT_RETRY,
  bullConnection,
  connectRedis,
  jobIdFor,
  jobOptions,
  queueNameFor,
  type BuildJobData,
  type BuildJobResult,
  type RetryPolicy,
} from './buildQueue';
import { BuildRegistry, DEFAULT_HEARTBEAT, type Heartbeat } from './buildRegistry';
import { JobWatcher } from './jobWatcher';
import { DEFAULT_QUEUE_CHECK, LostQueueGuard, type QueueCheck } from './lostQueueGuard';
import { LEFTOVER_BUILD_MS, removeLeftoverBuilds } from './leftoverBuilds';
import { collectOutputs, RerunLedger, runAgain } from './damagedJobs';
import { ShardMerge, type JobOutput } from './mergeShards';
import { DEFAULT_QUIET_MS, QuietBuildNotice } from './quietBuildNotice';
import { publishModel } from './sharedModel';
import { logErrorsOnce, withinTime } from './timeLimit';
import { keepFinishedWork } from './unfinishedBuild';
import { WorkStore, type S3Access } from './workStore';

export const DEFAULT_JOB_SIZE = 256;

export interface CoordinatorOptions extends PublishSettings {
  /** `s3://bucket/prefix`: every worker reads the images itself. */
  sourceUrl: string;
  access: S3Access;
  /** Scratch prefix shared with the workers; default `s3://<source bucket>/.lookalike-work/`. */
  workUrl?: string;
  redisUrl: string;
  dataDir: string;
  model: LoadedModel;
  maxPixels?: number;
  /** Images per inference call on the workers. */
  batchSize?: number;
  /** Images per job. */
  jobSize?: number;
  retry?: RetryPolicy;
  heartbeat?: Heartbeat;
  /** Watching for Redis losing the build (lostQueueGuard.ts); default every 5 s, give up after 2 min. */
  queueCheck?: QueueCheck;
  /**
   * Where the coordinator keeps the embeddings its workers computed (buildIndex.ts openModelCache), so
   * that a rebuild queues only the images added or changed since the last build; the rest are
   * recalled as the single-machine build recalls them. Without it every image is queued.
   */
  cacheDir?: string;
  /** Rebuild even when the source and options are unchanged. */
  force?: boolean;
  /** Fit a new transform even when the images added and removed have not moved the current one. */
  refit?: boolean;
  progress?: ProgressReporter;
  /** Called (and awaited) once the jobs are on the queue, e.g. to start workers. */
  onQueued?(queued: { queueName: string; jobs: number }): void | Promise<void>;
  /**
   * Stops the build while it waits for the workers (Ctrl-C), or later until its manifest is written: it
   * throws the signal's reason after cleaning up as after any failure (the queue, the work prefix, the
   * data dir's lock and staging).
   */
  signal?: AbortSignal;
  /** How old an unregistered build's prefix in the work prefix must be to be removed (leftoverBuilds.ts). */
  leftoverBuildMs?: number;
  /** How long the build may stand still before the coordinator says why (quietBuildNotice.ts). */
  quietMs?: number;
  log?(line: string): void;
}

interface DistributedBuildResult extends BuildIndexResult {
  /** Wall-clock phases: listing, all jobs on the queue until the last finished, merge and publish. */
  phases: { listMs: number; queueMs: number; mergeMs: number; totalMs: number };
}

/** How long a cleanup step may wait for Redis, which may be gone. */
const CLEANUP_MS = 5_000;
/** A job that Redis no longer holds when its result is read. */
const GONE = Symbol('gone');

/**
 * Runs cleanup steps after a build whatever happened, each for at most CLEANUP_MS; a failing step
 * must not hide the build's own error.
 */
async function bestEffort(log: (line: string) => void, what: string, step: () => Promise<unknown>) {
  try {
    await withinTime(step(), CLEANUP_MS, what);
  } catch (err) {
    log(`could not ${what}: ${(err as Error).message}`);
  }
}

/**
 * The coordinator of a distributed build: lists the source, publishes the model to the work prefix,
 * puts jobs of `jobSize` images on a queue of the build's own, waits for workers (buildWorker.ts) to
 * finish them all, then merges their partial shards and publishes exactly as the single-machine
 * build does, with the images in the same order, so the data dir comes out the same. Until the
 * manifest is written the previous build stays in place; a failed job fails the whole build.
 */
export async function runCoordinator(o: CoordinatorOptions): Promise<DistributedBuildResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  if (!o.sourceUrl.startsWith('s3://')) {
    throw new Error(
      `a distributed build needs a source every worker can read: --source must be s3://bucket/prefix, not ${o.sourceUrl}`,
    );
  }
  const source = new S3Source(o.sourceUrl, o.access);
  const workUrl = o.workUrl ?? `s3://${parseS3Url(o.sourceUrl).bucket}/.lookalike-work/`;
  const dataDir = resolve(o.dataDir);
  const maxPixels = o.maxPixels ?? DEFAULT_MAX_PIXELS;
  const keepMetadata = o.keepMetadata === true;
  const { spec } = o.model;

  const listing = await source.list();
  const listMs = performance.now() - t0;
  // The same fingerprint as a single-machine build: either kind of build finds the other up to date.
  const { fingerprint, modelBytes, modelSha256, stylePairs } = await fingerprintBuild({
    source: source.description,
    listing,
    model: o.model,
    maxPixels,
    settings: o,
  });
  if (o.force !== true && o.refit !== true) {
    const previous = await findUpToDateBuild(dataDir, fingerprint);
    if (previous !== undefined) {
      const totalMs = performance.now() - t0;
      return { upToDate: true, report: previous, phases: { listMs, queueMs: 0, mergeMs: 0, totalMs } };
    }
  }
  const meta = parseSourceMeta(listing.metaFile ? await source.readMeta() : undefined);

  const { entries, skipped } = uniqueEntries(listing);

  const redis = await connectRedis(o.redisUrl);
  const writer = new DataDirWriter(dataDir);
  try {
    await writer.open();
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  const store = new WorkStore(workUrl, o.access);
  const registry = new BuildRegistry(redis);
  const heartbeat = o.heartbeat ?? DEFAULT_HEARTBEAT;
  const buildId = `${hash16(fingerprint).slice(0, 8)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const queueName = queueNameFor(buildId);
  const queue = new Queue<BuildJobData, BuildJobResult>(queueName, {
    connection: bullConnection(o.redisUrl),
  });
  logErrorsOnce(queue, 'job queue', log);
  let watcher: JobWatcher | undefined;
  let guard: LostQueueGuard | undefined;
  let beating: { stop(): void } | undefined;
  let registered = false;
  let sweeping: Promise<void> | undefined;
  let released = false;
  /** Once jobs are queued with a cache to keep their work in: keeps it should the build fail. */
  let keepWork: (() => Promise<number>) | undefined;
  // Once every job's outcome is read the queue has nothing more to give: free Redis before merging.
  const releaseQueue = async () => {
    if (released) return;
    released = true;
    beating?.stop();
    if (guard?.gaveUp === true) {
      // Nothing answers there: drop the connections; waiting on them would wait for Redis.
      queue.disconnect().catch(() => undefined);
      await watcher?.close();
      redis.disconnect();
      return;
    }
    if (registered) await bestEffort(log, `deregister ${queueName}`, () => registry.deregister(queueName));
    await bestEffort(log, `remove queue ${queueName}`, () => queue.obliterate({ force: true }));
    await bestEffort(log, 'close the queue', () =>
      Promise.all([
        withinTime(queue.close(), CLEANUP_MS, 'close').catch(() => {
          queue.disconnect().catch(() => undefined);
        }),
        watcher?.close(),
      ]),
    );
    redis.disconnect();
  };
  try {
    const modelKey = await publishModel(store, modelBytes, modelSha256);
    log(`model ${spec.id} is at ${store.describe(modelKey)}`);

    const augment = augmentPlan(entries.length, o.views);
    // Files unchanged since the last build, with everything they yield kept, need no worker.
    const recalled = await recallKnown(o, dataDir, maxPixels, entries, writer, augment, spec, modelSha256);
    // Unchanged files an earlier build skipped for what they hold are skipped again, unread.
    entries.forEach((entry, i) => {
      const before = recalled.images[i] === undefined && !o.force ? recalled.skip(entry) : undefined;
      if (before !== undefined) skipped.push({ key: entry.key, ...before });
    });
    const skippedBefore = new Set(skipped.map((s) => s.key));
    const queued = entries.filter((e, i) => recalled.images[i] === undefined && !skippedBefore.has(e.key));
    const jobSize = o.jobSize ?? DEFAULT_JOB_SIZE;
    const jobs: BuildJobData[] = [];
    for (let i = 0; i < queued.length; i += jobSize) {
      jobs.push({
        jobVersion: BUILD_JOB_VERSION,
        buildId,
        jobId: jobIdFor(jobs.length),
        source: source.description,
        work: store.url,
        model: { sha256: modelSha256, spec },
        maxPixels,
        batchSize: o.batchSize ?? 32,
        augment,
        // Workers store originals as this build publishes them; the merge copies them under that name.
        keepMetadata,
        entries: queued.slice(i, i + jobSize),
      });
    }
    const merge = new ShardMerge({
      store,
      buildId,
      modelSha256,
      dim: spec.output.dim,
      writer,
      keepMetadata,
    });
    const outputs = new Map<string, JobOutput>();
    const { cache } = recalled;
    if (cache !== undefined && jobs.length > 0) {
      keepWork = () =>
        keepFinishedWork({
          merge,
          jobs,
          outputs,
          recalled: recalled.images,
          entries,
          skipped,
          cache,
          writer,
          maxPixels,
          listedAt: startedAt.getTime(),
        });
    }
    const featurizeOnWorkers = async () => {
      const sizes = new Map(jobs.map((j) => [j.jobId, j.entries.length]));
      // Until the loss guard below watches Redis, each call may wait this long for it.
      const check = o.queueCheck ?? DEFAULT_QUEUE_CHECK;
      const answered = <T>(step: Promise<T>, what: string) =>
        withinTime(step, check.giveUpAfterMs, `Redis at ${o.redisUrl} (${what})`);
      const jobWatcher = await JobWatcher.listen(
        queueName,
        o.redisUrl,
        sizes,
        o.progress ?? silentProgress,
        log,
        check.giveUpAfterMs,
      );
      watcher = jobWatcher;
      const queueStart = performance.now();
      const retry = o.retry ?? DEFAULT_RETRY;
      await answered(
        queue.addBulk(jobs.map((data) => ({ name: 'featurize', data, opts: jobOptions(data.jobId, retry) }))),
        'queueing the jobs',
      );
      // Registered only once every job is there: a worker that finds the build finds all its work.
      await answered(registry.register(queueName, heartbeat), 'registering the build');
      registered = true;
      beating = registry.keepAlive(queueName, heartbeat);
      // While the workers run: what builds that ended without cleaning up left in the work prefix.
      sweeping = removeLeftoverBuilds(store, registry, {
        olderThanMs: o.leftoverBuildMs ?? LEFTOVER_BUILD_MS,
        nowMs: Date.now(),
      }).then(
        ({ builds, objects }) => {
          if (builds.length > 0)
            log(
              `removed ${objects} objects left in ${store.url} by ${builds.length} earlier build(s) that ` +
                `ended without cleaning up: ${builds.join(', ')}`,
            );
        },
        (err: Error) => log(`could not look for earlier builds' leftovers in ${store.url}: ${err.message}`),
      );
      const startWorker = `npm run build-worker -- --queue ${o.redisUrl}`;
      log(
        `queued ${jobs.length} jobs of up to ${jobSize} images (${queued.length} images; ` +
          `${entries.length - queued.length} unchanged) on ${queueName}; workers: ${startWorker}`,
      );
      await o.onQueued?.({ queueName, jobs: jobs.length });

      const lossGuard = new LostQueueGuard({
        queue,
        queueName,
        redis,
        registry,
        store,
        redisUrl: o.redisUrl,
        jobs,
        retry,
        heartbeat,
        check,
        log,
      });
      guard = lossGuard;
      // Every job must have completed (or, after Redis lost it, left its shard); only their shards are merged.
      const readResults = () =>
        Promise.all(
          jobs.map(async (data): Promise<BuildJobResult | undefined | typeof GONE> => {
            if (lossGuard.doneFromShards.has(data.jobId)) return undefined;
            const job = await queue.getJob(data.jobId);
            if (job === undefined) return GONE;
            const result = job.returnvalue;
            if (!(await job.isCompleted()) || result === undefined || result === null) {
              throw new Error(`job ${data.jobId} is not complete though the queue counted it so`);
            }
            return result;
          }),
        );
      const quiet = new QuietBuildNotice(o.quietMs ?? DEFAULT_QUIET_MS, startWorker, performance.now());
      const waitForResults = async (): Promise<(BuildJobResult | undefined)[]> => {
        for (;;) {
          await jobWatcher.waitForAll(queue, 250, lossGuard, o.signal, { notice: quiet, log, redis });
          const read = await lossGuard.ask('read the job results', readResults);
          if (read === undefined)
            throw new Error(`Redis at ${o.redisUrl} did not answer with the job results`);
          // Redis lost jobs after counting them done: those with shards are done, the others run again.
          if (read.includes(GONE)) await lossGuard.recoverNow();
          else return read as (BuildJobResult | undefined)[];
        }
      };
      // Each job's output is collected while the queue can still run it again, should it be damaged.
      const reruns = new RerunLedger(log);
      let collectMs = 0;
      let results: (BuildJobResult | undefined)[];
      for (;;) {
        results = await waitForResults();
        const collectStart = performance.now();
        const damaged = await collectOutputs(merge, jobs, results, outputs);
        collectMs += performance.now() - collectStart;
        if (damaged.length === 0) break;
        reruns.note(damaged);
        await runAgain(
          damaged.map((d) => d.data),
          { queue, store, guard: lossGuard, retry },
        );
      }
      const queueMs = performance.now() - queueStart - collectMs;
      await releaseQueue();
      // Images of jobs known only by their shards were featurized too; counted after the merge.
      const stats = { featurized: 0, modelLoadMs: 0, modelWaitMs: 0, resultImages: 0 };
      for (const r of results) {
        if (r === undefined) continue;
        stats.resultImages += r.images;
        stats.featurized += r.featurized;
        stats.modelLoadMs += r.modelLoadMs;
        stats.modelWaitMs += r.modelWaitMs;
      }
      const collected = jobs.map((data) => outputs.get(data.jobId) ?? { images: [], skipped: [] });
      return { collected, stats, queueMs, collectMs };
    };
    const { collected, stats, queueMs, collectMs } =
      jobs.length > 0
        ? await featurizeOnWorkers()
        : {
            collected: [],
            stats: { featurized: 0, modelLoadMs: 0, modelWaitMs: 0, resultImages: 0 },
            queueMs: 0,
            collectMs: 0,
          };
    if (jobs.length === 0) log(`all ${entries.length} images are unchanged: no jobs to queue`);

    const mergeStart = performance.now() - collectMs;
    const merged = {
      images: collected.flatMap((c) => c.images),
      skipped: collected.flatMap((c) => c.skipped),
    };
    skipped.push(...merged.skipped);
    stats.featurized += merged.images.length - stats.resultImages;
    if (recalled.cache !== undefined) {
      for (const image of merged.images) rememberEmbeddings(recalled.cache, image);
      await recalled.cache.flush();
    }
    // In listing order, as the single-machine pipeline returns them.
    const fromWorkers = new Map(merged.images.map((u) => [u.entry.key, u]));
    const images = entries.flatMap((e, i) => {
      const image = recalled.images[i] ?? fromWorkers.get(e.key);
      return image === undefined ? [] : [image];
    });
    // processMs is the wall clock of the whole queue; model load and wait are summed over jobs.
    const report = await finishBuild({
      writer,
      signal: o.signal,
      settings: o,
      images,
      meta,
      spec,
      modelBytes,
      modelSha256,
      stylePairs,
      source: source.description,
      fingerprint,
      startedAt,
      t0,
      listed: listing.entries.length + listing.skipped.length,
      featurized: stats.featurized,
      skipped,
      thumbnailsWritten: merge.thumbnailsWritten,
      originalsWritten: merge.originalsWritten,
      timings: { listMs, processMs: queueMs, modelLoadMs: stats.modelLoadMs, modelWaitMs: stats.modelWaitMs },
      featurizeMs: queueMs,
    });
    // Only after the build is published: the records speak for the images it holds.
    if (recalled.cache !== undefined)
      await writer.replaceAtomically(
        SOURCE_FILES_FILE,
        sourceFileRecordsBytes(images, maxPixels, startedAt.getTime(), { skipped, entries }),
      );
    // What an unfinished build kept is in this build now (or no longer in the source).
    await rm(join(dataDir, UNFINISHED_SOURCE_FILES_FILE), { force: true });
    const totalMs = performance.now() - t0;
    return {
      upToDate: false,
      report,
      phases: { listMs, queueMs, mergeMs: performance.now() - mergeStart, totalMs },
    };
  } catch (err) {
    if (keepWork !== undefined) {
      await keepWork().then(
        (n) => {
          if (n > 0) log(`kept ${n} images that the next run will not queue again`);
        },
        (e: Error) => log(`could not keep what the finished jobs made: ${e.message}`),
      );
    }
    throw err;
  } finally {
    await releaseQueue();
    await bestEffort(log, `delete ${store.describe(WorkStore.buildPrefix(buildId))}`, () =>
      store.deleteUnder(WorkStore.buildPrefix(buildId)),
    );
    await sweeping;
    store.destroy();
    await writer.close();
  }
}

/**
 * The images of `entries` (by index) that the last build already made, from the coordinator's cache
 * and source file records; none without a cache.
 */
async function recallKnown(
  o: CoordinatorOptions,
  dataDir: string,
  maxPixels: number,
  entries: SourceEntry[],
  writer: DataDirWriter,
  augment: AugmentPlan,
  spec: ModelSpec,
  modelSha256: string,
): Promise<{
  images: (ProcessedImage | undefined)[];
  cache?: EmbeddingCache;
  /** Why an unchanged file was skipped by the last build, when that is in its bytes. */
  skip(entry: SourceEntry): { reason: SkipReason; message: string } | undefined;
}> {
  if (o.cacheDir === undefined) return { images: entries.map(() => undefined), skip: () => undefined };
  const cache = await openModelCache(o.cacheDir, spec, modelSha256);
  // Then what a build that did not finish kept (unfinishedBuild.ts).
  const records = (await readSourceFileRecords(dataDir, maxPixels)).orElse(
    await readSourceFileRecords(dataDir, maxPixels, UNFINISHED_SOURCE_FILES_FILE),
  );
  const limit = pLimit(32);
  const images = await Promise.all(
    entries.map((entry) =>
      limit(() =>
        recallUnchanged(entry, {
          known: (e) => records.lookup(e),
          cache,
          media: writer,
          augment,
          keepMetadata: o.keepMetadata === true,
        }),
      ),
    ),
  );
  return { images, cache, skip: (entry) => records.lookupSkip(entry) };
}
