import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash16 } from '../contentAddress';
import { EmbeddingCache } from '../embeddingCache';
import type { ProgressReporter } from '../progressReporter';
import {
  bullConnection,
  connectRedis,
  type BuildJobData,
  type BuildJobResult,
  type StallPolicy,
  checkBuildJobData,
  jobName,
} from './buildQueue';
import { BuildRegistry } from './buildRegistry';
import { runBuildJob, UnreadSourceError } from './runBuildJob';
import { RunnerPool } from './runnerPool';
import { ModelCache } from './sharedModel';
import { removeStrayQueueMeta } from './strayQueueMeta';
import { logErrorsOnce, withinTime } from './timeLimit';
import type { S3Access } from './workStore';

interface BuildWorkerOptions {
  redisUrl: string;
  access: S3Access;
  /** Jobs this process runs at once. */
  concurrency: number;
  /** Inference threads per job; default one per core. */
  threads?: number;
  stall: StallPolicy;
  /** Where verified model files are kept between runs. */
  modelCacheDir: string;
  /**
   * Return from run() once no live build is registered, instead of waiting for more. A registered
   * build without jobs is waited for: its coordinator may queue a job again (damaged output) or be
   * about to queue its first ones.
   */
  exitWhenIdle: boolean;
  /** How often to look for builds and check on the one being served. */
  pollMs: number;
  /** The first pause after failed jobs (pauseAfterFailures); DEFAULT_FAILURE_PAUSE_MS when absent. */
  failurePauseMs?: number;
  log(line: string): void;
}

type BuildJob = Job<BuildJobData, BuildJobResult>;

/** Sends a job's image count to its coordinator (the progress bar), at most every `everyMs`. */
function jobProgress(job: BuildJob, everyMs = 500): ProgressReporter {
  let done = 0;
  let sentAt = 0;
  const send = () => {
    sentAt = performance.now();
    job.updateProgress(done).catch(() => undefined);
  };
  return {
    start() {},
    tick() {
      done++;
      if (performance.now() - sentAt >= everyMs) send();
    },
    stop: send,
  };
}

/**
 * A worker that fails jobs in a row pauses before it takes another: one that cannot do the work (no
 * access to the source, an unwritable scratch folder) fails each job at once, and used to take every
 * retry of every job while healthy workers sat idle, so the build failed. From the second failure in a
 * row it waits `basePauseMs` (5 s), then twice as long after each further one, up to 12 times that (a
 * minute); when every worker fails (a damaged model in the work prefix), the jobs still run out of
 * tries and the build says why, a minute or two later than without the pauses.
 */
function pauseAfterFailures(failedInARow: number, basePauseMs: number): number {
  return failedInARow < 2 ? 0 : Math.min(12 * basePauseMs, basePauseMs * 2 ** (failedInARow - 2));
}

export const DEFAULT_FAILURE_PAUSE_MS = 5_000;

/** How long closing a connection may wait for Redis, which may be gone. */
const CLOSE_MS = 3_000;
/** How long looking for builds may wait for Redis before trying again. */
const ASK_MS = 10_000;

/**
 * Waits at most CLOSE_MS for a BullMQ client's `closing`, then drops its connection without waiting
 * (neither close nor disconnect returns while a lost Redis is being retried).
 */
async function closeWithin(client: { disconnect(): Promise<void> }, closing: Promise<void>): Promise<void> {
  closing.catch(() => undefined);
  await withinTime(closing, CLOSE_MS, 'close').catch(() => {
    client.disconnect().catch(() => undefined);
  });
}

/**
 * A worker process's main loop: finds registered builds with jobs left (oldest build first), serves
 * one at a time with a BullMQ worker until it has no waiting, delayed or active job, and moves on.
 * Staying while other workers' jobs are active keeps the stalled-job check running, so the job of a
 * worker that was killed goes back to the queue and is done here.
 */
export class BuildWorker {
  private stopping = false;
  /** Jobs this process is running now. */
  private running = 0;
  private wake = () => {};
  private readonly queues = new Map<string, Queue>();
  private readonly embeddingCaches = new Map<string, Promise<EmbeddingCache>>();
  private readonly models: ModelCache;
  private readonly runners: RunnerPool;
  private readonly registry: BuildRegistry;
  private readonly name = `${hostname()}:${process.pid}`;
  private failedInARow = 0;
  /** Builds this worker has said it waits for (sayWaiting). */
  private readonly waitedFor = new Set<string>();
  /** The BullMQ worker taking this process's jobs now, paused after failures (pauseAfterFailures). */
  private taking: Worker<BuildJobData, BuildJobResult> | null = null;

  private constructor(
    private readonly o: BuildWorkerOptions,
    private readonly redis: Redis,
    private readonly scratch: string,
  ) {
    this.registry = new BuildRegistry(redis);
    this.models = new ModelCache(o.modelCacheDir);
    this.runners = new RunnerPool(o.threads);
  }

  static async connect(o: BuildWorkerOptions): Promise<BuildWorker> {
    const redis = await connectRedis(o.redisUrl);
    // Embeddings are kept for this process's life only: enough for a job that is retried here, and
    // no cache file shared by two processes.
    const scratch = await mkdtemp(join(tmpdir(), 'lookalike-worker-'));
    return new BuildWorker(o, redis, scratch);
  }

  /** Serves builds until stop() (or, with exitWhenIdle, until no live build is registered). */
  async run(): Promise<void> {
    try {
      while (!this.stopping) {
        // A Redis outage should pause a long-running worker, not end it.
        const next = await withinTime(this.nextBuild(), ASK_MS, 'no answer').catch((err: Error) => {
          this.o.log(`cannot look for builds (${err.message}); trying again`);
          return null;
        });
        if (next === null) await this.sleep(this.o.pollMs);
        else if (next.serve !== undefined) await this.serve(next.serve);
        else if (this.o.exitWhenIdle && next.live.length === 0) break;
        else {
          if (this.o.exitWhenIdle) this.sayWaiting(next.live);
          await this.sleep(this.o.pollMs);
        }
      }
    } finally {
      await Promise.all([...this.queues.values()].map((q) => closeWithin(q, q.close())));
      await this.runners.releaseAll();
      await rm(this.scratch, { recursive: true, force: true });
      this.redis.disconnect();
    }
  }

  /** True while no job runs here: stopping then need wait for nothing. */
  get idle(): boolean {
    return this.running === 0;
  }

  /** Lets the running jobs finish, then makes run() return. */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (q === undefined) {
      // Only the coordinator writes the queue's meta: from here, it could land after the queue's removal.
      q = new Queue(name, { connection: bullConnection(this.o.redisUrl), skipMetasUpdate: true });
      logErrorsOnce(q, `queue ${name}`, this.o.log);
      this.queues.set(name, q);
    }
    return q;
  }

  private async hasJobsLeft(name: string): Promise<boolean> {
    const counts = await this.queue(name).getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return Object.values(counts).some((n) => n > 0);
  }

  /**
   * Says once per build why a worker that exits when idle is still here: before, it left as soon as
   * the queue was empty, and a job its coordinator then queued again (damaged output) waited for a
   * worker that nobody would start.
   */
  private sayWaiting(live: readonly string[]): void {
    for (const name of live) {
      if (this.waitedFor.has(name)) continue;
      this.waitedFor.add(name);
      this.o.log(`build ${name} has no job to take; waiting until its coordinator finishes it`);
    }
  }

  /** The build to serve, if one has jobs left, and the live builds (those whose coordinator beats). */
  private async nextBuild(): Promise<{ serve?: string; live: string[] }> {
    const { live, abandoned } = await this.registry.list();
    for (const name of abandoned) {
      // Its coordinator is gone and nobody will merge the results: free Redis of it.
      await this.registry.deregister(name);
      await this.queue(name).obliterate({ force: true });
      this.o.log(`dropped build queue ${name}: its coordinator stopped sending heartbeats`);
    }
    for (const [name, q] of this.queues) {
      if (!live.includes(name)) {
        this.queues.delete(name);
        await closeWithin(q, q.close());
      }
    }
    for (const name of live) if (await this.hasJobsLeft(name)) return { serve: name, live };
    return { live };
  }

  private async stillServing(name: string): Promise<boolean> {
    const { live } = await this.registry.list();
    return live.includes(name) && (await this.hasJobsLeft(name));
  }

  private async serve(queueName: string): Promise<void> {
    const { stall } = this.o;
    const worker = new Worker<BuildJobData, BuildJobResult>(queueName, (job) => this.process(job), {
      connection: bullConnection(this.o.redisUrl),
      concurrency: this.o.concurrency,
      lockDuration: stall.lockDurationMs,
      stalledInterval: stall.stalledIntervalMs,
      maxStalledCount: stall.maxStalledCount,
    });
    worker.on('failed', (job, err) => {
      if (job === undefined) return;
      const { attemptsMade, opts } = job;
      this.o.log(
        `job ${queueName}/${jobName(job)} attempt ${attemptsMade} of ${opts.attempts ?? 1} failed: ${err.message}`,
      );
    });
    worker.on('stalled', (jobId) =>
      this.o.log(`job ${queueName}/${jobId} stalled (its worker stopped renewing it): back in the queue`),
    );
    logErrorsOnce(worker, `worker on ${queueName}`, this.o.log);
    this.taking = worker;
    // A BullMQ worker that lost its connection may not take jobs again after the reconnect (its
    // blocking wait for jobs does not come back): once idle, it is replaced by a fresh one.
    let lostConnection = false;
    worker.on('error', () => (lostConnection = true));
    try {
      while (!this.stopping) {
        await this.sleep(this.o.pollMs);
        if (lostConnection && this.idle) {
          this.o.log(`lost the connection to Redis while serving ${queueName}: starting afresh`);
          break;
        }
        const serving = await withinTime(this.stillServing(queueName), ASK_MS, 'no answer').catch(
          (err: Error) => {
            this.o.log(`cannot check on ${queueName} (${err.message}); staying`);
            return true;
          },
        );
        if (!this.stopping && !serving) break;
      }
    } finally {
      // A running job is finished first (it needs no Redis until it reports); then Redis gets
      // CLOSE_MS, so that a lost Redis cannot keep the worker from the next build or from exiting.
      this.taking = null;
      const closing = worker.close();
      closing.catch(() => undefined);
      while (!this.idle) await new Promise((resolve) => setTimeout(resolve, 100));
      await closeWithin(worker, closing);
      await withinTime(removeStrayQueueMeta(this.redis, worker), CLOSE_MS, 'no answer').catch(
        () => undefined,
      );
    }
  }

  private async process(job: BuildJob): Promise<BuildJobResult> {
    const t = performance.now();
    this.running++;
    let result: BuildJobResult;
    let label: string;
    try {
      const data = checkBuildJobData(job.data, job.queueName);
      label = `job ${job.queueName}/${data.jobId}`;
      const attempts = job.opts.attempts ?? 1;
      this.o.log(
        `${label} started (attempt ${job.attemptsMade + 1} of ${attempts}): ${data.entries.length} images`,
      );
      result = await runBuildJob(
        data,
        {
          access: this.o.access,
          models: this.models,
          embeddings: (d) => this.embeddingCache(d),
          runners: this.runners,
          progress: jobProgress(job),
          workerName: this.name,
        },
        job.attemptsMade + 1 >= attempts,
      );
      this.failedInARow = 0;
    } catch (err) {
      // Some unreadable files say nothing certain about this worker; everything else may.
      if (!(err instanceof UnreadSourceError && !err.readNothing)) this.failedInARow++;
      this.pauseTaking(
        pauseAfterFailures(this.failedInARow, this.o.failurePauseMs ?? DEFAULT_FAILURE_PAUSE_MS),
      );
      throw err;
    } finally {
      this.running--;
    }
    this.o.log(
      `${label} done: ${result.images} images, ${result.skipped} skipped, ${result.featurized} featurized ` +
        `in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    return result;
  }

  private pauseTaking(ms: number): void {
    const taking = this.taking;
    if (ms === 0 || taking === null || taking.isPaused()) return;
    this.o.log(
      `failed ${this.failedInARow} jobs in a row: taking no job for ${ms / 1000} s, so that other workers take them`,
    );
    void taking.pause(true).catch(() => undefined);
    setTimeout(() => {
      if (this.taking === taking) void Promise.resolve(taking.resume()).catch(() => undefined);
    }, ms).unref();
  }

  private embeddingCache(data: BuildJobData): Promise<EmbeddingCache> {
    const { sha256, spec } = data.model;
    let c = this.embeddingCaches.get(sha256);
    if (c === undefined) {
      c = EmbeddingCache.open(join(this.scratch, `${hash16(sha256)}.embeddings`), spec.id, spec.output.dim);
      this.embeddingCaches.set(sha256, c);
    }
    return c;
  }
}
