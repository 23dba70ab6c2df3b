import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningS3rver } from '../../testing/s3rverForTests';
import { buildIndex } from '../buildIndex';
import type { BuildReport } from '../buildReport';
import { emojiPng } from '../../testing/builderFixtures';
import type { LoadedModel } from '../loadModel';
import { S3Source } from '../s3Source';
import { verifyDataDir } from '../../testing/dataDirChecks';
import { startCli, type CliProcess } from '../../testing/cliProcess';
import { openTestBed, tearDownTestBed, TEST_BED_ENV } from '../../testing/distributedTestBed';
import { runCoordinator, type CoordinatorOptions } from './coordinator';
import { startPrivateRedis, type PrivateRedis } from '../../testing/redisForTests';

// Redis losing its state mid-build (docs/distributed-build.md, "When Redis loses its state"): the
// coordinator re-queues what was lost, workers find builds again, and SIGTERM still works.
const BUCKET = 'lookalike-queue-loss';
const SOURCE = `s3://${BUCKET}/photos`;
const WORK = `s3://${BUCKET}/scratch`;
const ENV = TEST_BED_ENV;
const IMAGES = 24;
const JOB_SIZE = 4;
const WORKER_CLI = 'index-builder/distributed/buildWorkerCli.ts';
const STALL_ARGS = '--lock-duration 3000 --stalled-interval 1000 --max-stalled 5 --poll 200'.split(' ');
const QUEUE_CHECK = { everyMs: 500, giveUpAfterMs: 8_000 };

let root: string;
let s3: RunningS3rver;
let redis: PrivateRedis;
let model: LoadedModel;
let single: BuildReport;
let saved: Record<string, string | undefined> = {};
const children: CliProcess[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function uploadCollection(client: S3Client): Promise<void> {
  const dir = dirname(emojiPng('apple', '1f600.png'));
  for (const [i, name] of (await readdir(dir))
    .sort()
    .slice(700, 700 + IMAGES)
    .entries()) {
    const key = `photos/${i < IMAGES / 2 ? 'faces' : 'things'}/${name}`;
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(join(dir, name)) }),
    );
  }
}

/** A long-running worker: only a signal stops it. */
function startWorker(name: string): CliProcess {
  const args = ['--queue', redis.url, '--endpoint', s3.endpoint, '--threads', '1', ...STALL_ARGS];
  const w = startCli(WORKER_CLI, [...args, '--model-cache', join(root, `models-${name}`)], ENV);
  children.push(w);
  return w;
}

function coordinatorOptions(dataDir: string, over: Partial<CoordinatorOptions> = {}): CoordinatorOptions {
  return {
    sourceUrl: SOURCE,
    access: { endpoint: s3.endpoint },
    workUrl: WORK,
    redisUrl: redis.url,
    dataDir,
    model,
    jobSize: JOB_SIZE,
    force: true,
    queueCheck: QUEUE_CHECK,
    ...over,
  };
}

/** Resolves with how long the process took to exit after `signal`; rejects after `limitMs`. */
async function exitTime(w: CliProcess, signal: NodeJS.Signals, limitMs: number): Promise<number> {
  const t = performance.now();
  w.child.kill(signal);
  const exited = await Promise.race([w.exited, sleep(limitMs).then(() => undefined)]);
  if (exited === undefined) throw new Error(`still running ${limitMs} ms after ${signal}:\n${w.output()}`);
  expect(exited).toEqual({ code: 0, signal: null });
  return performance.now() - t;
}

/** No stack trace in a process's output: connection errors are one line each. */
function expectNoStackTraces(text: string): void {
  expect(text).not.toMatch(/^\s+at \S+/m);
  expect(text).not.toMatch(/Unhandled error event/);
}

beforeAll(async () => {
  ({
    root,
    s3,
    redis,
    model,
    savedEnv: saved,
  } = await openTestBed({
    prefix: 'queue-loss-',
    bucket: BUCKET,
    startRedis: startPrivateRedis,
    upload: uploadCollection,
  }));
  ({ report: single } = await buildIndex({
    source: new S3Source(SOURCE, { endpoint: s3.endpoint }),
    dataDir: join(root, 'single'),
    model,
    cacheDir: join(root, 'cache-single'),
  }));
});

afterAll(() => tearDownTestBed({ children, redis, s3, savedEnv: saved, root }));

describe('distributed build when Redis loses its state', () => {
  let worker: CliProcess;

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') {
      for (const c of children) console.log(`--- ${c.child.spawnargs.slice(-2).join(' ')}\n${c.output()}`);
    }
  });

  it('finishes after Redis was killed -9 and restarted empty mid-build, equal to the single-machine build', async () => {
    const consoleErrors = vi.spyOn(console, 'error');
    worker = startWorker('survivor');
    await worker.waitForLine(/waiting for jobs/);
    const lines: string[] = [];
    const t = performance.now();
    const built = runCoordinator(coordinatorOptions(join(root, 'restarted'), { log: (l) => lines.push(l) }));
    await worker.waitForLine(/job \S+\/job-\d+ done/, 60_000);
    await redis.crash();
    await sleep(300);
    await redis.restart();
    const { report } = await Promise.race([
      built,
      sleep(100_000).then(() => Promise.reject(new Error('no end within 100 s'))),
    ]).catch((err: Error) => {
      throw new Error(`${err.message}\ncoordinator:\n${lines.join('\n')}\nworker:\n${worker.output()}`);
    });
    expect(performance.now() - t).toBeLessThan(120_000);
    expect(lines.join('\n'), lines.join('\n')).toMatch(/lost its state.*re-queued \d+ jobs/);

    expect(report.counts).toMatchObject({
      listed: single.counts.listed,
      indexed: single.counts.indexed,
      skipped: single.counts.skipped,
    });
    const a = await verifyDataDir(join(root, 'single'));
    const b = await verifyDataDir(join(root, 'restarted'));
    expect(b.catalog.items.map((it) => it.id)).toEqual(a.catalog.items.map((it) => it.id));
    expect({ ...b.manifest, createdAt: '' }).toEqual({ ...a.manifest, createdAt: '' });
    expect(worker.output()).toMatch(/connection|Redis/i);
    expectNoStackTraces(worker.output());
    expectNoStackTraces(consoleErrors.mock.calls.flat().join('\n'));
    consoleErrors.mockRestore();
  });

  it('finishes from the shards when Redis restarts empty after every job is done, before the results are read', async () => {
    // The moment between the queue counting every job done and the coordinator reading their results.
    const read = Queue.prototype.getJob;
    let restarted: Promise<void> | undefined;
    const getJob = vi.spyOn(Queue.prototype, 'getJob').mockImplementation(async function (this: Queue, id) {
      restarted ??= redis.crash().then(() => redis.restart());
      await restarted;
      return read.call(this, id);
    });
    const lines: string[] = [];
    const helper = startWorker('results');
    try {
      await helper.waitForLine(/waiting for jobs/);
      const { report } = await runCoordinator(
        coordinatorOptions(join(root, 'lost-results'), { log: (l) => lines.push(l) }),
      );
      expect(restarted).toBeDefined();
      expect(lines.join('\n'), lines.join('\n')).toMatch(
        new RegExp(
          `lost its state \\(${IMAGES / JOB_SIZE} of ${IMAGES / JOB_SIZE} jobs gone.*${IMAGES / JOB_SIZE} found finished`,
        ),
      );
      expect(report.counts).toMatchObject({ indexed: single.counts.indexed, skipped: single.counts.skipped });
      const a = await verifyDataDir(join(root, 'single'));
      const b = await verifyDataDir(join(root, 'lost-results'));
      expect({ ...b.manifest, createdAt: '' }).toEqual({ ...a.manifest, createdAt: '' });
    } finally {
      getJob.mockRestore();
      await exitTime(helper, 'SIGTERM', 10_000);
    }
  });

  it('the worker that saw Redis restart takes the next build, then exits at once on SIGTERM when idle', async () => {
    let queueName = '';
    const { report } = await runCoordinator(
      coordinatorOptions(join(root, 'after-restart'), { onQueued: (q) => void (queueName = q.queueName) }),
    );
    expect(report.counts.indexed).toBe(single.counts.indexed);
    expect(worker.output()).toMatch(new RegExp(`job ${queueName}/job-\\d+ done`));
    expect(await exitTime(worker, 'SIGTERM', 5_000)).toBeLessThan(5_000);
    expect(worker.output()).toMatch(/build-worker: stopped/);
  });

  it('an idle worker exits on SIGTERM within 5 s while Redis is down', async () => {
    const idle = startWorker('idle');
    await idle.waitForLine(/waiting for jobs/);
    await sleep(500);
    await redis.crash();
    await sleep(1_500);
    expect(await exitTime(idle, 'SIGTERM', 5_000)).toBeLessThan(5_000);
    expectNoStackTraces(idle.output());
    await redis.restart();
  });

  it('the coordinator fails with a clear message when Redis does not come back', async () => {
    const t = performance.now();
    const built = runCoordinator(
      coordinatorOptions(join(root, 'never-back'), { onQueued: () => redis.crash() }),
    );
    await expect(built).rejects.toThrow(/Redis at redis:\/\/\S+ has not answered for \d+ s/);
    expect(performance.now() - t).toBeLessThan(QUEUE_CHECK.giveUpAfterMs + 20_000);
    await redis.restart();
  });

  it('the coordinator fails with a clear message when Redis goes before the jobs are queued', async () => {
    // The model is published and the unchanged images recalled (minutes, on a large collection)
    // before anything is queued; nothing watched Redis then, and the build waited for it for ever.
    let crashed: Promise<void> | undefined;
    const built = runCoordinator(
      coordinatorOptions(join(root, 'gone-before-queue'), {
        log: (line) => {
          if (line.startsWith('model ')) crashed ??= redis.crash();
        },
      }),
    );
    await expect(built).rejects.toThrow(
      /Redis at redis:\/\/\S+ \((listening to the jobs|queueing the jobs|registering the build)\): no answer within/,
    );
    expect(crashed).toBeDefined();
    await redis.restart();
  });
});
