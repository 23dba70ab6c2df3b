import { Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { endpointUrl, intInRange, nonEmpty, pathOption } from '../../storage/cliOptions';
import { keepWorkingWhenOutputCloses } from '../../storage/cliOutput';
import { DEFAULT_STALL } from './buildQueue';
import { BuildWorker, DEFAULT_FAILURE_PAUSE_MS } from './buildWorker';

/** An idle worker exits this soon after SIGINT/SIGTERM, whatever Redis does. */
const IDLE_EXIT_MS = 4_000;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface CliOptions {
  queue: string;
  endpoint?: string;
  region?: string;
  concurrency: number;
  threads?: number;
  modelCache: string;
  lockDuration: number;
  stalledInterval: number;
  maxStalled: number;
  poll: number;
  failurePause: number;
  exitWhenIdle?: boolean;
}

async function main(argv: string[]): Promise<void> {
  keepWorkingWhenOutputCloses();
  const program = new Command('build-worker')
    .description('Featurize jobs of distributed builds (build-index --queue) from a Redis queue')
    .requiredOption(
      '--queue <redis-url>',
      'the Redis the coordinators queue jobs on, e.g. redis://host:6379 (required)',
      nonEmpty,
    )
    .option('--endpoint <url>', 'S3-compatible endpoint (path-style addressing)', endpointUrl)
    .option('--region <region>', 'S3 region')
    .option('--concurrency <n>', 'jobs at once', intInRange(1, 64), 1)
    .option('--threads <n>', 'inference threads per job (default: one per core)', intInRange(1, 256))
    .option(
      '--model-cache <dir>',
      'where fetched model files are kept',
      pathOption,
      join(REPO_ROOT, 'generated', 'cache', 'worker-models'),
    )
    .option(
      '--lock-duration <ms>',
      'a job whose worker stops renewing it for this long is taken back',
      intInRange(500, 3_600_000),
      DEFAULT_STALL.lockDurationMs,
    )
    .option(
      '--stalled-interval <ms>',
      'how often to look for such jobs',
      intInRange(200, 3_600_000),
      DEFAULT_STALL.stalledIntervalMs,
    )
    .option(
      '--max-stalled <n>',
      'times a job may be taken back before it fails',
      intInRange(1, 100),
      DEFAULT_STALL.maxStalledCount,
    )
    .option('--poll <ms>', 'how often to look for builds', intInRange(50, 60_000), 1000)
    .option(
      '--failure-pause <ms>',
      'after 2 failed jobs in a row, take no job for this long (doubling with each further one, up to 12×)',
      intInRange(0, 600_000),
      DEFAULT_FAILURE_PAUSE_MS,
    )
    .option(
      '--exit-when-idle',
      'exit once no build is registered (every coordinator has finished) instead of waiting for more',
    )
    .addHelpText(
      'after',
      '\nExit status: 0 when stopped by SIGINT or SIGTERM after its running job, or idle with ' +
        '--exit-when-idle; 1 when it failed; 130 when told again to stop and left a job unfinished ' +
        '(it goes back to the queue once its lock expires).',
    )
    .parse(argv);
  const opts = program.opts<CliOptions>();

  const log = (line: string) => console.log(`build-worker: ${line}`);
  const worker = await BuildWorker.connect({
    redisUrl: opts.queue,
    access: { endpoint: opts.endpoint, region: opts.region },
    concurrency: opts.concurrency,
    threads: opts.threads,
    stall: {
      lockDurationMs: opts.lockDuration,
      stalledIntervalMs: opts.stalledInterval,
      maxStalledCount: opts.maxStalled,
    },
    modelCacheDir: opts.modelCache,
    exitWhenIdle: opts.exitWhenIdle === true,
    pollMs: opts.poll,
    failurePauseMs: opts.failurePause,
    log,
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log(`${signal} again: leaving now; a job left unfinished goes back to the queue once its lock expires`);
      process.exit(130);
    }
    if (worker.idle) {
      log(`${signal}: no job running, exiting`);
      // Closing waits a few seconds at most for a Redis that may be gone; never longer than this.
      setTimeout(() => process.exit(0), IDLE_EXIT_MS).unref();
    } else {
      log(`${signal}: finishing the running job, then exiting (send it again to leave at once)`);
    }
    worker.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  log(`waiting for jobs on ${opts.queue}`);
  await worker.run();
  log('stopped');
  // Nothing is left to do; a client still retrying a lost Redis must not keep the process alive.
  process.exit(0);
}

main(process.argv).catch((err: unknown) => {
  console.error(`build-worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
