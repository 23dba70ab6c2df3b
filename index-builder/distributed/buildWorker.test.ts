import { Queue } from 'bullmq';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisForTests, type RunningRedis } from '../../testing/redisForTests';
import { bullConnection, connectRedis, queueNameFor } from './buildQueue';
import { BuildRegistry, DEFAULT_HEARTBEAT } from './buildRegistry';
import { BuildWorker } from './buildWorker';
import { removeStrayQueueMeta } from './strayQueueMeta';

let redis: RunningRedis;
let root: string;

beforeAll(async () => {
  redis = await startRedisForTests();
  root = await mkdtemp(join(tmpdir(), 'build-worker-'));
});

afterAll(async () => {
  await redis?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A worker that exits when idle, and a build queue (not yet registered) for it to serve. */
async function workerAndBuild(build: string, timing: { stalledIntervalMs: number; pollMs: number }) {
  const lines: string[] = [];
  const worker = await BuildWorker.connect({
    redisUrl: redis.url,
    access: {},
    concurrency: 1,
    stall: { lockDurationMs: 3_000, stalledIntervalMs: timing.stalledIntervalMs, maxStalledCount: 1 },
    modelCacheDir: join(root, `models-${build}`),
    exitWhenIdle: true,
    pollMs: timing.pollMs,
    log: (line) => lines.push(line),
  });
  const client = await connectRedis(redis.url);
  const name = queueNameFor(build);
  const queue = new Queue(name, { connection: bullConnection(redis.url) });
  return { worker, lines, client, name, queue, registry: new BuildRegistry(client) };
}

describe('build worker', () => {
  it('leaves nothing in Redis when the coordinator removes the queue while the worker still serves it', async () => {
    // Stalled checks run many times between the queue's removal and the worker noticing it.
    const { worker, lines, client, name, queue, registry } = await workerAndBuild('stray-meta', {
      stalledIntervalMs: 100,
      pollMs: 1_500,
    });
    try {
      // A job the worker refuses at once (not a build job): it fails, and the coordinator cleans up.
      await queue.add('featurize', { jobVersion: -1 }, { jobId: 'job-00000', attempts: 1 });
      await registry.register(name, DEFAULT_HEARTBEAT);
      const running = worker.run();
      await expect.poll(() => queue.getJobCounts('failed'), { timeout: 60_000 }).toEqual({ failed: 1 });
      await registry.deregister(name);
      await queue.obliterate({ force: true });
      await queue.close();
      await running;
      expect(lines.join('\n')).toMatch(/job-00000 attempt 1 of 1 failed/);
      // Before, the stalled check of the still-open BullMQ worker wrote `meta` back, for good.
      expect(await client.keys('*')).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});

describe('a worker that exits when idle', () => {
  it('stays while a build is registered without jobs, takes a job queued then, and leaves once the build is gone', async () => {
    const { worker, lines, client, name, queue, registry } = await workerAndBuild('between-jobs', {
      stalledIntervalMs: 1_000,
      pollMs: 100,
    });
    let ran = false;
    try {
      // A coordinator between its jobs: collecting their output, which may send one back.
      await registry.register(name, DEFAULT_HEARTBEAT);
      const running = worker.run().finally(() => (ran = true));
      await expect
        .poll(() => lines.join('\n'), { timeout: 60_000 })
        .toMatch(/waiting until its coordinator finishes it/);
      // Before, it had left at once: nobody took a job queued again.
      expect(ran).toBe(false);
      // A job the worker refuses at once (not a build job) shows it was taken.
      await queue.add('featurize', { jobVersion: -1 }, { jobId: 'job-00000', attempts: 1 });
      await expect.poll(() => queue.getJobCounts('failed'), { timeout: 60_000 }).toEqual({ failed: 1 });
      expect(ran).toBe(false);
      await registry.deregister(name);
      await queue.obliterate({ force: true });
      await running;
      expect(lines.join('\n')).toMatch(/job-00000 attempt 1 of 1 failed/);
    } finally {
      await queue.close();
      client.disconnect();
    }
  });
});

describe('removeStrayQueueMeta', () => {
  it('keeps a queue that holds jobs whole', async () => {
    const client = await connectRedis(redis.url);
    const queue = new Queue('kept', { connection: bullConnection(redis.url) });
    try {
      await queue.add('featurize', { n: 1 }, { jobId: 'a' });
      const before = (await client.keys('bull:kept:*')).sort();
      expect(before).toContain('bull:kept:meta');
      expect(await removeStrayQueueMeta(client, queue)).toBe(false);
      expect((await client.keys('bull:kept:*')).sort()).toEqual(before);
      await queue.obliterate({ force: true });
      // What a stalled check leaves in a removed queue.
      await client.hset('bull:kept:meta', 'opts.maxLenEvents', 10_000);
      await client.set('bull:kept:stalled-check', '1', 'PX', 60_000);
      expect(await removeStrayQueueMeta(client, queue)).toBe(true);
      expect(await client.keys('bull:kept:*')).toEqual([]);
    } finally {
      await queue.close();
      client.disconnect();
    }
  });
});
