import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisForTests, type RunningRedis } from '../../testing/redisForTests';
import { silentProgress } from '../progressReporter';
import {
  bullConnection,
  connectRedis,
  jobIdFor,
  jobOptions,
  queueNameFor,
  type BuildJobData,
  type BuildJobResult,
} from './buildQueue';
import { BuildRegistry, DEFAULT_HEARTBEAT } from './buildRegistry';
import { JobWatcher } from './jobWatcher';
import { LostQueueGuard } from './lostQueueGuard';
import { QuietBuildNotice } from './quietBuildNotice';
import { WorkStore } from './workStore';

/*
 * Workers that fail every job they take (the model in the work prefix replaced since the build began)
 * are there, and the coordinator must say that they fail and why: it used to count only jobs taken
 * and completed, saw a job that failed at once neither active nor done, and asked whether a worker
 * ran at all. Through a real queue, so that BullMQ's own events are what the watcher counts.
 */

const START = 'npm run build-worker -- --queue redis://…';
const REASON = 'model 3f2a….onnx in the work prefix does not match its name (sha256 9b1c…)';

let redis: RunningRedis;

beforeAll(async () => {
  redis = await startRedisForTests();
});
afterAll(() => redis?.stop());

describe('the coordinator watching jobs that workers fail', () => {
  it('says workers are failing jobs, how many attempts failed and the reason, until a job fails for good', async () => {
    const name = queueNameFor('failing-jobs');
    const client = await connectRedis(redis.url);
    const queue = new Queue<BuildJobData, BuildJobResult>(name, { connection: bullConnection(redis.url) });
    const retry = { attempts: 3, backoffMs: 400 };
    const jobs = [0, 1].map((i) => ({ jobId: jobIdFor(i) }) as BuildJobData);
    const lines: string[] = [];
    const watcher = await JobWatcher.listen(
      name,
      redis.url,
      new Map(jobs.map((j) => [j.jobId, 4])),
      silentProgress,
      (line) => lines.push(line),
      60_000,
    );
    // The queue is never checked for losses here (everyMs): the store is not used.
    const store = new WorkStore('s3://unused/work', {});
    const guard = new LostQueueGuard({
      queue,
      queueName: name,
      redis: client,
      registry: new BuildRegistry(client),
      store,
      redisUrl: redis.url,
      jobs,
      retry,
      heartbeat: DEFAULT_HEARTBEAT,
      check: { everyMs: 3_600_000, giveUpAfterMs: 3_600_000 },
      log: (line) => lines.push(line),
    });
    const worker = new Worker<BuildJobData, BuildJobResult>(
      name,
      () => Promise.reject(new Error(`${REASON}\n(a second line)`)),
      { connection: bullConnection(redis.url) },
    );
    try {
      await queue.addBulk(
        jobs.map((data) => ({ name: 'featurize', data, opts: jobOptions(data.jobId, retry) })),
      );
      const notice = new QuietBuildNotice(500, START, performance.now());
      await expect(
        watcher.waitForAll(queue, 50, guard, undefined, { notice, log: (l) => lines.push(l), redis: client }),
      ).rejects.toThrow(/jobs failed for good/);
      const said = lines.filter((l) => l.startsWith('workers are failing jobs'));
      expect(lines.filter((l) => /no worker has taken a job/.test(l))).toEqual([]);
      expect(said.length).toBeGreaterThan(0);
      expect(said[0]).toMatch(
        new RegExp(
          `^workers are failing jobs: \\d+ attempts? failed in the last \\d+ s and nothing moved \\(\\d+ waiting, \\d+ running\\); ` +
            `the last: job-0000[01], attempt [12] of 3: ${REASON.replace(/[.()]/g, '\\$&')}\\. A job that fails`,
        ),
      );
    } finally {
      await worker.close();
      await watcher.close();
      await queue.obliterate({ force: true });
      await queue.close();
      store.destroy();
      client.disconnect();
    }
  });
});
