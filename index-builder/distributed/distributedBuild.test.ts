import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningS3rver } from '../../testing/s3rverForTests';
import { listObjects } from '../../storage/s3Listing';
import { buildIndex } from '../buildIndex';
import { contentHash } from '../contentAddress';
import { emojiPng, shapePng } from '../../testing/builderFixtures';
import type { LoadedModel } from '../loadModel';
import { S3Source } from '../s3Source';
import { ownedFiles, verifyDataDir } from '../../testing/dataDirChecks';
import { startCli, type CliProcess } from '../../testing/cliProcess';
import { forwardRequest } from '../../testing/httpForward';
import { openTestBed, tearDownTestBed, TEST_BED_ENV } from '../../testing/distributedTestBed';
import { runCoordinator, type CoordinatorOptions } from './coordinator';
import { connectRedis, queueNameFor } from './buildQueue';
import { BuildRegistry } from './buildRegistry';
import { startRedisForTests, type RunningRedis } from '../../testing/redisForTests';
import { WorkStore } from './workStore';
import { WAIT_MS } from '../../testing/timeLimits';
import { DATA_DIR_MARKER } from '../../storage/dataDirNames';

const BUCKET = 'lookalike-distributed';
const SOURCE = `s3://${BUCKET}/photos`;
const WORK = `s3://${BUCKET}/scratch`;
const ENV = TEST_BED_ENV;
const JOB_SIZE = 8;
const WORKER_CLI = 'index-builder/distributed/buildWorkerCli.ts';
// Short enough that a killed worker's job is back in the queue within a few seconds; lenient enough
// (locks renewed every 1.5 s, several stalls allowed) for a 2-core machine busy with other tests.
// A worker pauses 0.5 s after 2 failed jobs in a row (5 s in the product), up to 6 s.
const STALL_ARGS =
  '--lock-duration 3000 --stalled-interval 1000 --max-stalled 5 --poll 200 --failure-pause 500'.split(' ');

let root: string;
let s3: RunningS3rver;
let redis: RunningRedis;
let model: LoadedModel;
let saved: Record<string, string | undefined> = {};
const children: CliProcess[] = [];

/** 40 emoji in two albums, two broken files, and metadata for a few: notes, and labels the fit learns from. */
async function uploadCollection(client: S3Client): Promise<void> {
  const dir = dirname(emojiPng('apple', '1f600.png'));
  const files: [string, Uint8Array][] = [];
  for (const [i, name] of (await readdir(dir)).sort().slice(600, 640).entries()) {
    files.push([`${i < 20 ? 'smileys' : 'things'}/${name}`, await readFile(join(dir, name))]);
  }
  const png = await shapePng(7);
  files.push(
    ['things/broken.png', png.subarray(0, png.length - 40)],
    ['things/empty.png', new Uint8Array(0)],
  );
  const meta: Record<string, Record<string, string>> = {
    [files[0][0]]: { note: 'first' },
    [files[25][0]]: { note: 'another' },
  };
  // Three labels over six images, across both albums and jobs: the same learned transform either way.
  for (const [label, ...at] of [
    ['a', 1, 30],
    ['b', 2, 3],
    ['c', 12, 35],
  ] as const)
    for (const i of at) meta[files[i][0]] = { ...meta[files[i][0]], label };
  files.push(['lookalike-meta.json', Buffer.from(JSON.stringify(meta))]);
  for (const [key, body] of files) {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `photos/${key}`, Body: body }));
  }
}

/** s3rver as a worker without read access to the source sees it: GETs under `photos/` answer 403. */
async function sourceDenyingEndpoint(): Promise<{ endpoint: string; server: Server }> {
  const upstream = new URL(s3.endpoint);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').startsWith(`/${BUCKET}/photos/`)) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
      );
      return;
    }
    forwardRequest(req, res, { host: upstream.hostname, port: upstream.port });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * s3rver as a worker with a broken disk or network sees it: the first `times` partial shards it
 * writes arrive with a byte changed (the write itself succeeds). Counts the shards damaged.
 */
async function shardDamagingEndpoint(
  times: number,
  job = /job-\d+/,
): Promise<{ endpoint: string; close(): void; damaged(): number }> {
  const upstream = new URL(s3.endpoint);
  let damaged = 0;
  const server = createServer((req, res) => {
    const to = { host: upstream.hostname, port: upstream.port };
    const shard = /\/shards\/(job-\d+)\.lkshard/.exec(req.url ?? '');
    if (req.method !== 'PUT' || shard === null || !job.test(shard[1]) || damaged >= times) {
      forwardRequest(req, res, to);
      return;
    }
    damaged++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      body[body.length >> 1] ^= 0xff;
      const out = httpRequest({ ...to, method: 'PUT', path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { endpoint, close, damaged: () => damaged };
}

/** Stops a worker started to stay (SIGTERM), which must then exit cleanly. */
async function stopStayingWorker(worker: CliProcess | undefined): Promise<void> {
  expect(worker).toBeDefined();
  (worker as CliProcess).child.kill('SIGTERM');
  expect((await (worker as CliProcess).exited).code).toBe(0);
}

/** A worker that exits once no build has jobs left, unless `stays` (then the test stops it). */
function startWorker(name: string, endpoint = s3.endpoint, stays = false): CliProcess {
  const args = ['--queue', redis.url, '--endpoint', endpoint, '--threads', '1'];
  if (!stays) args.push('--exit-when-idle');
  const w = startCli(
    WORKER_CLI,
    [...args, ...STALL_ARGS, '--model-cache', join(root, `models-${name}`)],
    ENV,
  );
  children.push(w);
  return w;
}

function coordinatorOptions(dataDir: string, over: Partial<CoordinatorOptions>): CoordinatorOptions {
  return {
    sourceUrl: SOURCE,
    access: { endpoint: s3.endpoint },
    workUrl: WORK,
    redisUrl: redis.url,
    dataDir,
    model,
    jobSize: JOB_SIZE,
    ...over,
  };
}

/** The model object in the work prefix, replaced by bytes that do not match its name. */
async function damageModel(): Promise<() => Promise<void>> {
  const bytes = await readFile(model.onnxPath);
  const store = new WorkStore(WORK, { endpoint: s3.endpoint });
  const key = WorkStore.modelKey(contentHash(bytes));
  await store.put(key, Buffer.from('not the model'));
  return async () => {
    await store.put(key, bytes);
    store.destroy();
  };
}

beforeAll(async () => {
  ({
    root,
    s3,
    redis,
    model,
    savedEnv: saved,
  } = await openTestBed({
    prefix: 'distributed-build-',
    bucket: BUCKET,
    startRedis: startRedisForTests,
    upload: uploadCollection,
  }));
});

// A test that fails leaves its workers running, and they take the next tests' jobs: one failure became
// four. Each test's workers have done their work by its end.
afterEach(async () => {
  const running = children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
  for (const c of running) c.child.kill('SIGKILL');
  await Promise.all(running.map((c) => c.exited));
});

afterAll(() => tearDownTestBed({ children, redis, s3, savedEnv: saved, root }));

describe('distributed build', () => {
  it('with a worker killed mid-job equals the single-machine build of the same source', async () => {
    const single = join(root, 'single');
    const { report: singleReport } = await buildIndex({
      source: new S3Source(SOURCE, { endpoint: s3.endpoint }),
      dataDir: single,
      model,
      cacheDir: join(root, 'cache-single'),
    });
    expect(singleReport.counts).toMatchObject({
      listed: 42,
      indexed: 40,
      skipped: 2,
      labelled: 6,
      labels: 3,
    });

    const out = join(root, 'distributed');
    const coordinatorArgs = [
      '--queue',
      redis.url,
      '--source',
      SOURCE,
      '--endpoint',
      s3.endpoint,
      '--data-dir',
      out,
      '--cache',
      join(root, 'cache-coordinator'),
    ];
    const coordinator = startCli(
      'index-builder/buildIndexCli.ts',
      [...coordinatorArgs, '--work', WORK, '--job-size', String(JOB_SIZE)],
      ENV,
    );
    children.push(coordinator);
    const [, jobs] = await coordinator.waitForLine(/queued (\d+) jobs/);
    expect(Number(jobs)).toBe(Math.ceil(42 / JOB_SIZE));

    // The doomed worker is up first, so it surely gets a job before the survivor can take them all.
    const doomed = startWorker('doomed');
    await doomed.waitForLine(/waiting for jobs/);
    const survivor = startWorker('survivor');
    const [, killedJob] = await doomed.waitForLine(/job \S+\/(job-\d+) started/);
    doomed.child.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');

    const { code } = await coordinator.exited;
    expect(coordinator.output()).not.toMatch(/build-index:/);
    expect(code).toBe(0);
    expect(coordinator.output()).toMatch(/indexed 40 images \(40 featurized, 0 cached\), 2 skipped/);
    expect(coordinator.output()).toMatch(/\(42 images; 0 unchanged\)/);
    expect(coordinator.output()).toMatch(/labels: 6 images share 3 labels; the transform learned from them/);
    // Progress came from the workers, through the queue, into the same display as a local build.
    expect(coordinator.output()).toMatch(/^featurizing: 42\/42 \(100%\)/m);
    expect((await survivor.exited).code).toBe(0);
    // The killed worker's job went back to the queue and the other worker did it.
    expect(survivor.output()).toMatch(new RegExp(`job \\S+/${killedJob} stalled`));
    expect(survivor.output()).toMatch(new RegExp(`job \\S+/${killedJob} done`));
    expect(doomed.output()).not.toMatch(new RegExp(`${killedJob} done`));

    const a = await verifyDataDir(single);
    const b = await verifyDataDir(out);
    expect(b.catalog.items.map((it) => it.id)).toEqual(a.catalog.items.map((it) => it.id));
    expect(b.manifest.index).toEqual(a.manifest.index);
    expect(b.manifest.catalog).toEqual(a.manifest.catalog);
    expect({ ...b.manifest, createdAt: '' }).toEqual({ ...a.manifest, createdAt: '' });
    expect(await readFile(join(out, b.manifest.index.path))).toEqual(
      await readFile(join(single, a.manifest.index.path)),
    );
    for (let row = 0; row < a.index.count; row++) expect(b.index.code(row)).toEqual(a.index.code(row));
    expect(await ownedFiles(out)).toEqual(await ownedFiles(single));

    const report = JSON.parse(await readFile(join(out, 'build-report.json'), 'utf8'));
    expect(report.fingerprint).toBe(singleReport.fingerprint);
    expect(report.counts).toEqual(singleReport.counts);
    expect(report.skipped).toEqual(singleReport.skipped);
    expect(report.skipped.map((s: { key: string }) => s.key)).toEqual([
      'things/broken.png',
      'things/empty.png',
    ]);

    // Either kind of build finds the other's result up to date.
    const again = startCli('index-builder/buildIndexCli.ts', [...coordinatorArgs, '--quiet'], ENV);
    children.push(again);
    await again.exited;
    expect(again.output()).toMatch(/^up to date/m);
    // Nothing of the build is left in the work prefix but the shared model.
    const left = await listObjects(
      new S3Client({ endpoint: s3.endpoint, forcePathStyle: true }),
      BUCKET,
      'scratch/',
    );
    expect([...left.keys()].filter((k) => !k.startsWith('scratch/models/'))).toEqual([]);
  });

  it('retries a job that failed, here on a worker that could not store the model', async () => {
    // A file where the worker's model folder should be: its tries fail until the file is gone.
    const blocked = join(root, 'models-retry');
    await writeFile(blocked, 'in the way');
    let worker: CliProcess | undefined;
    const out = join(root, 'retried');
    const built = runCoordinator(
      coordinatorOptions(out, {
        retry: { attempts: 4, backoffMs: 300 },
        onQueued: () => {
          worker = startWorker('retry');
        },
      }),
    );
    await expect.poll(() => worker, { timeout: WAIT_MS }).toBeDefined();
    const w = worker as CliProcess;
    await w.waitForLine(/job-00000 attempt 1 of 4 failed: cannot keep the model in \S+models-retry/);
    await rm(blocked);
    const { report } = await built;
    expect(report.counts).toMatchObject({ indexed: 40, skipped: 2 });
    expect((await w.exited).code).toBe(0);
    expect(w.output()).toMatch(/job-00000 started \(attempt 2 of 4\)/);
    const single = await verifyDataDir(join(root, 'single'));
    expect((await verifyDataDir(out)).manifest.index).toEqual(single.manifest.index);
  });

  it('a worker that cannot read the source fails its jobs and pauses; a healthy one does them, and the index is whole', async () => {
    const denying = await sourceDenyingEndpoint();
    let sick: CliProcess | undefined;
    const out = join(root, 'sick-worker');
    try {
      const built = runCoordinator(
        coordinatorOptions(out, {
          // The product's backoff is 5 s; long enough here that the sick worker's failures are other jobs.
          // Five tries: on a loaded machine the sick worker used up three of one job (2 + 4 s of backoff,
          // its own pauses 0.5 and 1 s) before the healthy one had started.
          retry: { attempts: 5, backoffMs: 2000 },
          onQueued: () => {
            sick = startWorker('sick', denying.endpoint);
          },
        }),
      );
      await expect.poll(() => sick, { timeout: WAIT_MS }).toBeDefined();
      const w = sick as CliProcess;
      await w.waitForLine(/failed 2 jobs in a row: taking no job for 0\.5 s/);
      expect(w.output()).toMatch(
        /attempt 1 of 5 failed: this worker could read none of the job's 8 files from s3:\/\/lookalike-distributed\/photos\/ \(first: \S+: .*Access Denied/,
      );
      const healthy = startWorker('healthy');
      const { report } = await built;
      // Before, the sick worker finished its jobs at once with every image skipped as read-failed, and
      // the index was published without them.
      expect(report.counts).toMatchObject({ indexed: 40, skipped: 2 });
      const single = await verifyDataDir(join(root, 'single'));
      expect((await verifyDataDir(out)).manifest.index).toEqual(single.manifest.index);
      expect((await healthy.exited).code).toBe(0);
      expect((await w.exited).code).toBe(0);
    } finally {
      denying.server.closeAllConnections();
      denying.server.close();
    }
  });

  it('runs a job whose shard arrived damaged again, and the index is whole', async () => {
    const damaging = await shardDamagingEndpoint(1);
    const lines: string[] = [];
    let worker: CliProcess | undefined;
    const out = join(root, 'damaged-shard');
    try {
      const { report } = await runCoordinator(
        coordinatorOptions(out, {
          log: (line) => lines.push(line),
          onQueued: () => {
            // It exits when idle, yet takes the job queued again after its queue was empty for a
            // moment: before, it had left by then and the build waited for a worker for ever.
            worker = startWorker('damaging', damaging.endpoint);
          },
        }),
      );
      expect(damaging.damaged()).toBe(1);
      // Before, the merge failed on the damaged shard and the build with it.
      expect(lines.join('\n')).toMatch(
        /job job-\d+ left damaged output: partial shard \S+\/shards\/job-\d+\.lkshard: checksum mismatch: the file is truncated or corrupt \(worker \S+:\d+\); running it again \(1 of 2\)/,
      );
      expect(report.counts).toMatchObject({ indexed: 40, skipped: 2 });
      const single = await verifyDataDir(join(root, 'single'));
      const built = await verifyDataDir(out);
      expect(built.manifest.index).toEqual(single.manifest.index);
      expect(await ownedFiles(out)).toEqual(await ownedFiles(join(root, 'single')));
      // It left once the coordinator had finished with the queue.
      expect((await (worker as CliProcess).exited).code).toBe(0);
    } finally {
      damaging.close();
    }
  });

  it('fails naming the job, its worker and each damage when a job keeps leaving damaged output', async () => {
    const damaging = await shardDamagingEndpoint(Number.POSITIVE_INFINITY);
    const out = join(root, 'distributed');
    const manifest = await readFile(join(out, 'manifest.json'));
    let worker: CliProcess | undefined;
    try {
      const built = runCoordinator(
        coordinatorOptions(out, {
          force: true,
          onQueued: () => {
            worker = startWorker('always-damaging', damaging.endpoint, true);
          },
        }),
      );
      await expect(built).rejects.toThrow(
        /^job job-\d+ ran 3 times and left damaged output each time; the published index was not changed\n( {2}partial shard \S+: checksum mismatch: the file is truncated or corrupt \(worker \S+:\d+\)(\n|$)){3}/,
      );
      expect(await readFile(join(out, 'manifest.json'))).toEqual(manifest);
      expect((await readdir(out)).filter((n) => n.startsWith('.') && n !== DATA_DIR_MARKER)).toEqual([]);
      await verifyDataDir(out);
      await stopStayingWorker(worker);
    } finally {
      damaging.close();
    }
  });

  it('a build that fails keeps what its finished jobs made, and the next run queues only the rest', async () => {
    const damaging = await shardDamagingEndpoint(Number.POSITIVE_INFINITY, /job-00002/);
    const out = join(root, 'resumed');
    const cacheDir = join(root, 'cache-resumed');
    const lines: string[] = [];
    let worker: CliProcess | undefined;
    try {
      const failed = runCoordinator(
        coordinatorOptions(out, {
          cacheDir,
          log: (line) => lines.push(line),
          onQueued: () => {
            worker = startWorker('resume-damaging', damaging.endpoint, true);
          },
        }),
      );
      await expect(failed).rejects.toThrow(/^job job-00002 ran 3 times and left damaged output each time/);
      await stopStayingWorker(worker);
    } finally {
      damaging.close();
    }
    // Every job but job-00002 (8 images); the two broken files are in the last one.
    expect(lines).toContain('kept 32 images that the next run will not queue again');
    expect(await readdir(out)).toContain('source-files.unfinished.json');

    lines.length = 0;
    const { report } = await runCoordinator(
      coordinatorOptions(out, {
        cacheDir,
        log: (line) => lines.push(line),
        onQueued: () => {
          startWorker('resume-healthy');
        },
      }),
    );
    // Before, the next run queued all 42 files again.
    expect(lines.join('\n')).toMatch(/queued 1 jobs of up to 8 images \(8 images; 34 unchanged\)/);
    expect(report.counts).toMatchObject({ indexed: 40, skipped: 2 });
    const single = await verifyDataDir(join(root, 'single'));
    expect((await verifyDataDir(out)).manifest.index).toEqual(single.manifest.index);
    expect(await ownedFiles(out)).toEqual(await ownedFiles(join(root, 'single')));
    expect(await readdir(out)).not.toContain('source-files.unfinished.json');
  });

  it('fails naming the job and its images when a job fails for good, and leaves the data dir as it was', async () => {
    const out = join(root, 'distributed');
    const manifest = await readFile(join(out, 'manifest.json'));
    const files = await ownedFiles(out);
    let worker: CliProcess | undefined;
    let restore = async () => {};
    const built = runCoordinator(
      coordinatorOptions(out, {
        force: true,
        retry: { attempts: 2, backoffMs: 100 },
        onQueued: async () => {
          restore = await damageModel();
          worker = startWorker('doomed-build');
        },
      }),
    );
    await expect(built).rejects.toThrow(
      /jobs failed for good; the published index was not changed\njob job-\d+ failed after 2 attempt\(s\): model .* does not match its name[^\n]*\n {2}its \d+ images: (smileys|things)\//,
    );
    await restore();
    expect((await (worker as CliProcess).exited).code).toBe(0);
    expect(await readFile(join(out, 'manifest.json'))).toEqual(manifest);
    expect(await ownedFiles(out)).toEqual(files);
    expect((await readdir(out)).filter((n) => n.startsWith('.') && n !== DATA_DIR_MARKER)).toEqual([]);
    await verifyDataDir(out);
  });

  it('Ctrl-C of the coordinator while it waits for workers removes its queue, work prefix and lock', async () => {
    const out = join(root, 'interrupted');
    const coordinator = startCli(
      'index-builder/buildIndexCli.ts',
      [
        ...['--queue', redis.url, '--source', SOURCE, '--endpoint', s3.endpoint, '--data-dir', out],
        ...['--cache', join(root, 'cache-interrupted'), '--work', WORK, '--job-size', String(JOB_SIZE)],
      ],
      ENV,
    );
    children.push(coordinator);
    await coordinator.waitForLine(/queued \d+ jobs/);
    const client = await connectRedis(redis.url);
    try {
      expect((await client.keys('*')).length).toBeGreaterThan(0);
      coordinator.child.kill('SIGINT');
      expect((await coordinator.exited).code).toBe(130);
      expect(coordinator.output()).toMatch(
        /build-index: stopped by SIGINT; the published index was not changed/,
      );
      // Before, the queue (with every job's data) stayed in Redis until a worker came by.
      expect(await client.keys('*')).toEqual([]);
    } finally {
      client.disconnect();
    }
    const left = await listObjects(
      new S3Client({ endpoint: s3.endpoint, forcePathStyle: true }),
      BUCKET,
      'scratch/',
    );
    expect([...left.keys()].filter((k) => !k.startsWith('scratch/models/'))).toEqual([]);
    expect(
      (await readdir(out).catch(() => [])).filter((n) => n.startsWith('.') && n !== DATA_DIR_MARKER),
    ).toEqual([]);
  });

  it('says when no worker takes a job, and when the only worker stopped mid-job, then finishes once one runs', async () => {
    const lines: string[] = [];
    const said = (pattern: RegExp) => () => lines.some((line) => pattern.test(line));
    const built = runCoordinator(
      coordinatorOptions(join(root, 'quiet'), { quietMs: 1_000, log: (line) => lines.push(line) }),
    );
    // Before, the coordinator showed its progress bar at 0 and said nothing, for ever.
    await expect
      .poll(
        said(/^no worker has taken a job for \d+ s \(6 jobs waiting\).*Start one: npm run build-worker/),
        {
          timeout: WAIT_MS,
        },
      )
      .toBe(true);
    const first = startWorker('quiet-first');
    await first.waitForLine(/job \S+\/job-\d+ started/);
    first.child.kill('SIGKILL');
    await first.exited;
    // Its job stays active: only a live worker's stalled check gives it back.
    await expect
      .poll(said(/^nothing has moved for \d+ s: 1 job held by workers that stopped/), { timeout: WAIT_MS })
      .toBe(true);
    const second = startWorker('quiet-second');
    expect((await built).report.counts).toMatchObject({ indexed: 40, skipped: 2 });
    expect((await second.exited).code).toBe(0);
  });

  it('removes what builds that ended without cleaning up left in the work prefix, and nothing else', async () => {
    const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true });
    const put = (key: string) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `scratch/builds/${key}`, Body: 'x' }));
    // A killed coordinator's build, and a stale worker's late shard.
    const leftover = [
      '0badc0de-mx0dead-000001/shards/job-00002.lkshard',
      '0badc0de-mx0dead-000001/media/thumbs/ab.webp',
    ];
    const kept = [
      '0badc0de-mx0live-000002/shards/job-00000.lkshard',
      'mine/shards/job-00000.lkshard',
      '0badc0de-mx0mine-000003/notes.txt',
    ];
    for (const key of [...leftover, ...kept]) await put(key);
    const redisClient = await connectRedis(redis.url);
    const registry = new BuildRegistry(redisClient);
    const liveQueue = queueNameFor('0badc0de-mx0live-000002');
    await registry.register(liveQueue, { everyMs: 60_000, ttlMs: 600_000 });
    const lines: string[] = [];
    try {
      const { report } = await runCoordinator(
        coordinatorOptions(join(root, 'leftovers'), {
          leftoverBuildMs: 0,
          log: (line) => lines.push(line),
          onQueued: () => void startWorker('leftovers'),
        }),
      );
      expect(report.counts).toMatchObject({ indexed: 40, skipped: 2 });
    } finally {
      await registry.deregister(liveQueue);
      redisClient.disconnect();
    }
    expect(lines).toContain(
      `removed 2 objects left in ${WORK}/ by 1 earlier build(s) that ended without cleaning up: 0badc0de-mx0dead-000001`,
    );
    const left = await listObjects(client, BUCKET, 'scratch/builds/');
    expect([...left.keys()].sort()).toEqual(kept.map((k) => `scratch/builds/${k}`).sort());
    for (const key of left.keys()) await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  });

  it('a worker stopped with SIGTERM finishes the job it is running, then exits', async () => {
    let first: CliProcess | undefined;
    const built = runCoordinator(
      coordinatorOptions(join(root, 'retried'), {
        force: true,
        onQueued: () => {
          // Not idle-exiting: only the signal may stop it.
          first = startCli(
            WORKER_CLI,
            ['--queue', redis.url, '--endpoint', s3.endpoint, '--threads', '1'],
            ENV,
          );
          children.push(first);
        },
      }),
    );
    await expect.poll(() => first, { timeout: WAIT_MS }).toBeDefined();
    const w = first as CliProcess;
    const [, jobId] = await w.waitForLine(/job \S+\/(job-\d+) started/);
    w.child.kill('SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(w.output()).toMatch(new RegExp(`${jobId} done[^]*SIGTERM|SIGTERM[^]*${jobId} done`));
    expect(w.output()).toMatch(/build-worker: stopped/);
    // Whatever it left is done by the next worker.
    const next = startWorker('after-sigterm');
    expect((await built).report.counts.indexed).toBe(40);
    expect(next.output()).not.toMatch(new RegExp(`${jobId} started`));
    expect((await next.exited).code).toBe(0);
  });

  it('with sources from names learns the same pairs and index as the single-machine build', async () => {
    // The albums as sources: the fit pairs images that are each other's nearest in the other album.
    const sourcePattern = '^([^/]+)/';
    const single = join(root, 'single-sources');
    const { report: singleReport } = await buildIndex({
      source: new S3Source(SOURCE, { endpoint: s3.endpoint }),
      dataDir: single,
      model,
      cacheDir: join(root, 'cache-single-sources'),
      sourcePattern,
    });
    // 40 images in two albums; the six that share a metadata label are not paired.
    expect(singleReport.counts).toMatchObject({ indexed: 40, sourced: 40, sources: 2 });
    expect(singleReport.counts.sourcePairs).toBeGreaterThan(0);

    const out = join(root, 'distributed-sources');
    const { report } = await runCoordinator(
      coordinatorOptions(out, {
        sourcePattern,
        cacheDir: join(root, 'cache-distributed-sources'),
        onQueued: () => {
          startWorker('sources');
        },
      }),
    );
    expect(report.counts).toEqual(singleReport.counts);
    expect(report.fingerprint).toBe(singleReport.fingerprint);
    expect(report.transform).toEqual(singleReport.transform);
    const a = await verifyDataDir(single);
    const b = await verifyDataDir(out);
    expect(await readFile(join(out, b.manifest.index.path))).toEqual(
      await readFile(join(single, a.manifest.index.path)),
    );
  });

  it('a rebuild after adding images queues only those, and equals the single-machine rebuild', async () => {
    const out = join(root, 'incremental');
    const cacheDir = join(root, 'cache-incremental');
    const build = (name: string, queued: number[]) =>
      runCoordinator(
        coordinatorOptions(out, {
          cacheDir,
          onQueued: ({ jobs }) => {
            queued.push(jobs);
            startWorker(name);
          },
        }),
      );
    const first: number[] = [];
    expect((await build('incremental-1', first)).report.counts).toMatchObject({
      indexed: 40,
      featurized: 40,
    });
    expect(first).toEqual([Math.ceil(42 / JOB_SIZE)]);

    const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true });
    const dir = dirname(emojiPng('apple', '1f600.png'));
    const added = (await readdir(dir)).sort().slice(640, 643);
    const putAdded = async () => {
      for (const name of added)
        await client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: `photos/things/${name}`,
            Body: await readFile(join(dir, name)),
          }),
        );
    };
    const deleteAdded = async () => {
      for (const name of added)
        await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `photos/things/${name}` }));
    };
    await putAdded();
    try {
      const second: number[] = [];
      const { report, phases } = await build('incremental-2', second);
      // One job: the three new images and the two broken files (skipped, so never recorded, so asked
      // again); the 40 unchanged images are recalled, not queued.
      expect(second).toEqual([1]);
      expect(report.counts).toMatchObject({ indexed: 43, featurized: 3, skipped: 2 });
      expect(phases.mergeMs).toBeGreaterThan(0);

      // The single-machine build of the same source, rebuilt from its own previous build the same way.
      const single = join(root, 'single-incremental');
      const source = new S3Source(SOURCE, { endpoint: s3.endpoint });
      const singleCache = join(root, 'cache-single-incremental');
      await deleteAdded();
      await buildIndex({ source, dataDir: single, model, cacheDir: singleCache });
      await putAdded();
      const { report: singleReport } = await buildIndex({
        source,
        dataDir: single,
        model,
        cacheDir: singleCache,
      });
      expect(singleReport.counts).toMatchObject({ indexed: 43, featurized: 3 });
      expect(report.transform).toEqual(singleReport.transform);
      const a = await verifyDataDir(single);
      const b = await verifyDataDir(out);
      expect({ ...b.manifest, createdAt: '' }).toEqual({ ...a.manifest, createdAt: '' });
      expect(await readFile(join(out, b.manifest.index.path))).toEqual(
        await readFile(join(single, a.manifest.index.path)),
      );
      expect(await ownedFiles(out)).toEqual(await ownedFiles(single));
    } finally {
      await deleteAdded();
      client.destroy();
    }
  });
});
