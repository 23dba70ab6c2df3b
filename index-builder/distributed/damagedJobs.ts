import type { Queue } from 'bullmq';
import { MultiLineError } from '../../core/printableText';
import { jobOptions, type BuildJobData, type BuildJobResult, type RetryPolicy } from './buildQueue';
import type { LostQueueGuard } from './lostQueueGuard';
import { DamagedJobOutput, type JobOutput, type ShardMerge } from './mergeShards';
import { WorkStore } from './workStore';

/*
 * A finished job whose output is damaged (its shard or media missing, corrupt, or another job's) is
 * run again while the build's queue is still there, rather than failing the whole build at the
 * merge and leaving a rerun to queue every job again.
 */

/** Times a job whose output was damaged is run again before the build fails. */
const MAX_RERUNS = 2;

/** Wait between tries to queue damaged jobs again while Redis does not answer. */
const RETRY_PAUSE_MS = 250;

interface DamagedJob {
  data: BuildJobData;
  /** The worker that said it finished the job, when its result says. */
  worker?: string;
  problem: string;
}

/**
 * Collects the jobs not yet in `outputs` (ShardMerge.collect) and adds them there; returns those
 * whose output is damaged. Any other failure (S3 refusing the coordinator, the data dir) fails the
 * build, once every collection has ended.
 */
export async function collectOutputs(
  merge: ShardMerge,
  jobs: readonly BuildJobData[],
  results: readonly (BuildJobResult | undefined)[],
  outputs: Map<string, JobOutput>,
): Promise<DamagedJob[]> {
  const damaged: DamagedJob[] = [];
  const settled = await Promise.allSettled(
    jobs.map(async (data, i) => {
      if (outputs.has(data.jobId)) return;
      const result = results[i];
      const shardKey = result?.shardKey ?? WorkStore.shardKey(data.buildId, data.jobId);
      try {
        outputs.set(data.jobId, await merge.collect({ jobId: data.jobId, entries: data.entries, shardKey }));
      } catch (err) {
        if (!(err instanceof DamagedJobOutput)) throw err;
        damaged.push({ data, problem: err.message, ...(result?.worker ? { worker: result.worker } : {}) });
      }
    }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return damaged;
}

/**
 * Queues finished jobs again. Their shards are deleted first, so that should Redis lose the queue
 * meanwhile, the loss guard cannot count them done from the damaged ones. Repeated until Redis
 * answers (the guard gives up on a silent Redis, failing the build).
 */
export async function runAgain(
  jobs: readonly BuildJobData[],
  o: {
    queue: Queue<BuildJobData, BuildJobResult>;
    store: WorkStore;
    guard: LostQueueGuard;
    retry: RetryPolicy;
  },
): Promise<void> {
  await Promise.all(jobs.map((j) => o.store.deleteUnder(WorkStore.shardKey(j.buildId, j.jobId))));
  for (const j of jobs) o.guard.doneFromShards.delete(j.jobId);
  const requeue = async () => {
    for (const j of jobs) await o.queue.remove(j.jobId);
    await o.queue.addBulk(
      jobs.map((data) => ({ name: 'featurize', data, opts: jobOptions(data.jobId, o.retry) })),
    );
    return true;
  };
  // A refused call comes back at once: pause between tries rather than spin on Redis.
  while ((await o.guard.ask('queue damaged jobs again', requeue)) === undefined)
    await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
}

/** What each job's damaged runs left, to say why it runs again and, past MAX_RERUNS, why the build fails. */
export class RerunLedger {
  private readonly problems = new Map<string, string[]>();

  constructor(private readonly log: (line: string) => void) {}

  /** Logs that the jobs run again; throws naming every run's problem once a job has had its reruns. */
  note(damaged: readonly DamagedJob[]): void {
    for (const { data, worker, problem } of damaged) {
      const said = [
        ...(this.problems.get(data.jobId) ?? []),
        `${problem}${worker ? ` (worker ${worker})` : ''}`,
      ];
      this.problems.set(data.jobId, said);
      if (said.length > MAX_RERUNS) {
        throw new MultiLineError([
          `job ${data.jobId} ran ${said.length} times and left damaged output each time; ` +
            'the published index was not changed',
          ...said.map((line) => `  ${line}`),
        ]);
      }
      this.log(
        `job ${data.jobId} left damaged output: ${said.at(-1)}; running it again (${said.length} of ${MAX_RERUNS})`,
      );
    }
  }
}
