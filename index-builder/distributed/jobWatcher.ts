import { QueueEvents, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { MultiLineError, printable } from '../../core/printableText';
import type { ProgressReporter } from '../progressReporter';
import { bullConnection, jobName, type BuildJobData, type BuildJobResult } from './buildQueue';
import type { LostQueueGuard } from './lostQueueGuard';
import type { FailedAttempt, QuietBuildNotice } from './quietBuildNotice';
import { logErrorsOnce, withinTime } from './timeLimit';

const KEYS_NAMED = 20;

/** Saying why the build stands still: the notice, where it goes, and a connection to look at job locks. */
interface QuietWatch {
  notice: QuietBuildNotice;
  log(line: string): void;
  redis: Redis;
}

function describeFailure(job: Job<BuildJobData, BuildJobResult>): string[] {
  // A malformed job (someone else's data in the queue) fails too, and is described all the same.
  const entries: unknown = (job.data as Partial<BuildJobData> | null)?.entries;
  const keys = Array.isArray(entries) ? entries.map((e) => String((e as { key?: unknown } | null)?.key)) : [];
  const named =
    keys.slice(0, KEYS_NAMED).join(', ') +
    (keys.length > KEYS_NAMED ? `, … ${keys.length - KEYS_NAMED} more` : '');
  return [
    `job ${jobName(job)} failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`,
    `  its ${keys.length} images: ${named}`,
  ];
}

/**
 * Follows a build's jobs until every one has completed, showing images done (workers report
 * progress per job) on `progress` from waitForAll() until close(). Throws as soon as a job has failed for good, naming it and its
 * images. Counts come from the queue itself, so a missed event only delays the bar.
 */
export class JobWatcher {
  private readonly done = new Map<string, number>();
  private showing = false;
  /** Attempts at jobs that failed, and the job of the latest (for QuietBuildNotice). */
  private failedAttempts = 0;
  private lastFailedJob: string | undefined;

  private constructor(
    private readonly events: QueueEvents,
    private readonly sizes: ReadonlyMap<string, number>,
    private readonly progress: ProgressReporter,
  ) {
    events.on('progress', ({ jobId, data }) => {
      if (typeof data === 'number') this.advance(jobId, data);
    });
    events.on('completed', ({ jobId }) => this.advance(jobId, this.sizes.get(jobId) ?? 0));
    // A failed attempt with attempts left waits out its backoff as a `delayed` job (the build adds no
    // job with a delay of its own). A retry policy without backoff (none the CLI sets) would send it
    // straight back to `waiting`, as a stalled job goes, and its failure would go uncounted here.
    const failedAttempt = ({ jobId }: { jobId: string }) => {
      this.failedAttempts++;
      this.lastFailedJob = jobId;
    };
    events.on('delayed', failedAttempt);
    events.on('failed', failedAttempt);
  }

  /**
   * Starts listening before the jobs are added, so no progress is missed. Fails when Redis has not
   * answered within `readyWithinMs` (its client would wait for it for ever).
   */
  static async listen(
    queueName: string,
    redisUrl: string,
    sizes: ReadonlyMap<string, number>,
    progress: ProgressReporter,
    log: (line: string) => void,
    readyWithinMs: number,
  ): Promise<JobWatcher> {
    const events = new QueueEvents(queueName, { connection: bullConnection(redisUrl) });
    logErrorsOnce(events, 'job events', log);
    try {
      await withinTime(
        events.waitUntilReady(),
        readyWithinMs,
        `Redis at ${redisUrl} (listening to the jobs)`,
      );
    } catch (err) {
      events.disconnect().catch(() => undefined);
      throw err;
    }
    return new JobWatcher(events, sizes, progress);
  }

  /**
   * Every Redis call goes through `guard`, which also re-queues jobs Redis lost (those it finds
   * finished in the work prefix count as done) and gives up once Redis stays silent too long.
   */
  async waitForAll(
    queue: Queue<BuildJobData, BuildJobResult>,
    pollMs: number,
    guard: LostQueueGuard,
    signal?: AbortSignal,
    quiet?: QuietWatch,
  ): Promise<void> {
    let total = 0;
    let doneSoFar = 0;
    for (const n of this.sizes.values()) total += n;
    for (const n of this.done.values()) doneSoFar += n;
    this.progress.start(total);
    // Done by an earlier run of the build: not part of this run's rate.
    for (let i = 0; i < doneSoFar; i++) this.progress.tick(true);
    this.showing = true;
    for (;;) {
      signal?.throwIfAborted();
      for (const jobId of await guard.checkIfDue()) this.advance(jobId, this.sizes.get(jobId) ?? 0);
      const counts = await guard.ask('count jobs', () =>
        queue.getJobCounts('completed', 'failed', 'waiting', 'prioritized', 'active'),
      );
      if (counts !== undefined && counts.failed > 0) {
        const failed = (await guard.ask('read failed jobs', () => queue.getJobs(['failed'], 0, 4))) ?? [];
        throw new MultiLineError([
          `${counts.failed} of ${this.sizes.size} jobs failed for good; the published index was not changed`,
          ...failed.flatMap(describeFailure),
        ]);
      }
      if (counts !== undefined && counts.completed + guard.doneFromShards.size >= this.sizes.size) return;
      if (counts !== undefined && quiet !== undefined) await this.sayIfQuiet(queue, guard, counts, quiet);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  private async sayIfQuiet(
    queue: Queue<BuildJobData, BuildJobResult>,
    guard: LostQueueGuard,
    counts: Record<string, number>,
    quiet: QuietWatch,
  ): Promise<void> {
    let imagesDone = 0;
    for (const n of this.done.values()) imagesDone += n;
    const snapshot = {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      imagesDone,
      failedAttempts: this.failedAttempts,
    };
    if (!quiet.notice.due(performance.now(), snapshot)) return;
    const lastFailure =
      quiet.notice.failedSinceMoved(snapshot) > 0 ? await this.lastFailure(queue, guard) : undefined;
    // A job whose worker stopped keeps its place among the active ones, without the lock its worker renewed.
    const orphaned =
      snapshot.active === 0
        ? 0
        : ((await guard.ask('look for stopped workers', async () => {
            let n = 0;
            for (const id of await queue.getRanges(['active'], 0, -1)) {
              if ((await quiet.redis.exists(queue.toKey(`${id}:lock`))) === 0) n++;
            }
            return n;
          })) ?? 0);
    quiet.log(quiet.notice.notice(performance.now(), snapshot, orphaned, lastFailure));
  }

  /** The latest failed attempt as the queue keeps it: its job's reason and attempts; undefined if gone. */
  private async lastFailure(
    queue: Queue<BuildJobData, BuildJobResult>,
    guard: LostQueueGuard,
  ): Promise<FailedAttempt | undefined> {
    const id = this.lastFailedJob;
    if (id === undefined) return undefined;
    const job = await guard.ask('read the last failed job', () => queue.getJob(id));
    if (job === undefined || job === null) return undefined;
    // Its first line: libvips and MultiLineError repeat themselves over many.
    const reason = (job.failedReason ?? '').split('\n').find((l) => l.trim() !== '') ?? 'no reason given';
    return {
      job: jobName(job),
      attempt: job.attemptsMade,
      attempts: job.opts.attempts ?? 1,
      reason: printable(reason),
    };
  }

  /** Stops listening and ends the progress display. */
  close(): Promise<void> {
    if (this.showing) this.progress.stop();
    this.showing = false;
    // Closing waits for Redis; when it is gone, just drop the connection.
    return withinTime(this.events.close(), 5_000, 'close job events').catch(() => {
      this.events.disconnect().catch(() => undefined);
    });
  }

  // A retried job starts again from 0: the bar keeps what it showed rather than going back.
  private advance(jobId: string, imagesDone: number): void {
    const before = this.done.get(jobId) ?? 0;
    if (imagesDone <= before) return;
    this.done.set(jobId, imagesDone);
    if (this.showing) for (let i = 0; i < imagesDone - before; i++) this.progress.tick();
  }
}
