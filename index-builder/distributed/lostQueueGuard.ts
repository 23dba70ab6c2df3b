import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobOptions, type BuildJobData, type BuildJobResult, type RetryPolicy } from './buildQueue';
import type { BuildRegistry, Heartbeat } from './buildRegistry';
import { withinTime } from './timeLimit';
import { WorkStore } from './workStore';

/** How the coordinator watches for Redis losing its build, and when it gives up on Redis. */
export interface QueueCheck {
  /** Look this often whether the build is still registered and all its jobs still there. */
  everyMs: number;
  /** Fail the build once Redis has not answered for this long. */
  giveUpAfterMs: number;
}

export const DEFAULT_QUEUE_CHECK: QueueCheck = { everyMs: 5_000, giveUpAfterMs: 120_000 };

/** Times the build may be re-queued after Redis lost it before the coordinator gives up. */
const MAX_RECOVERIES = 5;

interface LostQueueGuardOptions {
  queue: Queue<BuildJobData, BuildJobResult>;
  queueName: string;
  /** The coordinator's plain connection to the same Redis. */
  redis: Redis;
  registry: BuildRegistry;
  store: WorkStore;
  redisUrl: string;
  jobs: readonly BuildJobData[];
  retry: RetryPolicy;
  heartbeat: Heartbeat;
  check: QueueCheck;
  log(line: string): void;
}

/**
 * Keeps a build going when Redis loses its state (a restart without persistence, a flush, a
 * failover to an empty replica): every `everyMs` it checks that the build is registered and that
 * every job is in the queue in some state. When not, jobs whose partial shard is in the work prefix
 * count as done (a shard is a job's last write, and the same for any run of it), the others are
 * queued again, and the build is registered again so that workers find it. All Redis calls go
 * through ask(), which gives up on Redis once it has not answered for `giveUpAfterMs`.
 */
export class LostQueueGuard {
  /** Jobs whose record Redis lost after their shard was written: done, without a BullMQ result. */
  readonly doneFromShards = new Set<string>();
  /** Set once Redis stayed silent for `giveUpAfterMs`: cleanup need not wait for it. */
  gaveUp = false;
  private lastAnswerAt = performance.now();
  private lastCheckAt = performance.now();
  private recoveries = 0;

  constructor(private readonly o: LostQueueGuardOptions) {}

  /**
   * The step's result, or undefined when Redis did not answer it in time (or failed it); throws
   * once Redis has been silent for `giveUpAfterMs`.
   */
  async ask<T>(what: string, step: () => Promise<T>): Promise<T | undefined> {
    const { everyMs, giveUpAfterMs } = this.o.check;
    try {
      const value = await withinTime(step(), Math.max(2_000, everyMs), what);
      this.lastAnswerAt = performance.now();
      return value;
    } catch (err) {
      const silentMs = performance.now() - this.lastAnswerAt;
      if (silentMs >= giveUpAfterMs) {
        this.gaveUp = true;
        throw new Error(
          `Redis at ${this.o.redisUrl} has not answered for ${Math.round(silentMs / 1000)} s ` +
            `(${(err as Error).message}); the build is abandoned and the published index was not changed`,
          { cause: err },
        );
      }
      return undefined;
    }
  }

  /** Checks on the build if `everyMs` has passed since the last check; re-queues what was lost. */
  async checkIfDue(): Promise<string[]> {
    if (performance.now() - this.lastCheckAt < this.o.check.everyMs) return [];
    this.lastCheckAt = performance.now();
    const { queue, queueName, registry, jobs } = this.o;
    const state = await this.ask('check the build queue', async () => {
      const [registered, counts] = await Promise.all([
        registry.isRegistered(queueName),
        queue.getJobCounts(),
      ]);
      const held = Object.values(counts).reduce((a, b) => a + b, 0);
      return { registered, complete: held + this.doneFromShards.size >= jobs.length };
    });
    if (state === undefined || (state.registered && state.complete)) return [];
    return this.recover(state.registered);
  }

  /**
   * For jobs found gone after the queue counted them all done (Redis lost its state in between):
   * recovers at once, as a due check would. Returns the jobs newly found done through their shards.
   */
  async recoverNow(): Promise<string[]> {
    const { registry, queueName } = this.o;
    const registered = await this.ask('check the build registration', () => registry.isRegistered(queueName));
    return this.recover(registered ?? false);
  }

  /** Returns the jobs newly found done through their shards. */
  private async recover(registered: boolean): Promise<string[]> {
    const { queue, queueName, registry, store, jobs, retry, heartbeat, log } = this.o;
    if (this.recoveries >= MAX_RECOVERIES) {
      throw new Error(
        `Redis at ${this.o.redisUrl} lost the build's queue ${queueName} ${MAX_RECOVERIES} times; ` +
          'giving up (the published index was not changed)',
      );
    }
    // A job is lost when it is in no state, even if a record of it came back (a late progress
    // report from a worker recreates it), which would also keep add() from queueing it again.
    const states = await this.ask('look for lost jobs', () =>
      Promise.all(jobs.map((j) => queue.getJobState(j.jobId))),
    );
    if (states === undefined) return [];
    const lost = jobs.filter((j, i) => states[i] === 'unknown' && !this.doneFromShards.has(j.jobId));
    const found: string[] = [];
    const requeue: BuildJobData[] = [];
    for (const job of lost) {
      if (await store.exists(WorkStore.shardKey(job.buildId, job.jobId))) found.push(job.jobId);
      else requeue.push(job);
    }
    const answered = await this.ask('re-queue lost jobs', async () => {
      const leftovers = lost.flatMap((j) => ['', ':logs', ':lock'].map((k) => queue.toKey(j.jobId + k)));
      if (leftovers.length > 0) await this.o.redis.del(...leftovers);
      await queue.addBulk(
        requeue.map((data) => ({ name: 'featurize', data, opts: jobOptions(data.jobId, retry) })),
      );
      // As at the start: registered only once every job is there.
      await registry.register(queueName, heartbeat);
      return true;
    });
    if (answered === undefined) return [];
    this.recoveries++;
    for (const id of found) this.doneFromShards.add(id);
    log(
      `Redis lost its state (${lost.length} of ${jobs.length} jobs gone` +
        `${registered ? '' : ', the build unregistered'}): ${found.length} found finished in ` +
        `${store.describe('')}, re-queued ${requeue.length} jobs`,
    );
    return found;
  }
}
