import { loadModel, type LoadedModel } from '../index-builder/loadModel';
import { startCli, type CliProcess } from '../testing/cliProcess';
import { runCoordinator } from '../index-builder/distributed/coordinator';

interface DistributedBuildRun {
  /** `s3://bucket/prefix` of the images. */
  sourceUrl: string;
  /** S3-compatible endpoint, for coordinator and workers alike. */
  endpoint?: string;
  region?: string;
  dataDir: string;
  redisUrl: string;
  /** Worker processes to start. */
  workers: number;
  jobSize: number;
  workUrl?: string;
  /** Inference threads per worker; default one per core each. */
  threads?: number;
  model?: LoadedModel;
  /** The coordinator's embedding cache: with it, a rebuild queues only new and changed images. */
  cacheDir?: string;
}

interface DistributedBuildTimings {
  listMs: number;
  /** From queueing the first job until the last one finished: worker start-up included. */
  queueMs: number;
  mergeMs: number;
  totalMs: number;
  /** Indexed images over totalMs. */
  imagesPerSecond: number;
  indexed: number;
  /** Images the workers featurized. */
  featurized: number;
}

/**
 * One whole distributed build on this machine, for benchmarks: the coordinator in this process and
 * `workers` build-worker processes, started once the jobs are queued and leaving when they run out.
 * Always rebuilds (force).
 */
export async function runDistributedBuild(run: DistributedBuildRun): Promise<DistributedBuildTimings> {
  const model = run.model ?? (await loadModel());
  const workerArgs = ['--queue', run.redisUrl, '--exit-when-idle'];
  if (run.endpoint !== undefined) workerArgs.push('--endpoint', run.endpoint);
  if (run.region !== undefined) workerArgs.push('--region', run.region);
  if (run.threads !== undefined) workerArgs.push('--threads', String(run.threads));
  const workers: CliProcess[] = [];
  try {
    const { report, phases } = await runCoordinator({
      sourceUrl: run.sourceUrl,
      access: { endpoint: run.endpoint, region: run.region },
      workUrl: run.workUrl,
      redisUrl: run.redisUrl,
      dataDir: run.dataDir,
      model,
      jobSize: run.jobSize,
      cacheDir: run.cacheDir,
      force: true,
      onQueued: () => {
        for (let i = 0; i < run.workers; i++) {
          workers.push(startCli('index-builder/distributed/buildWorkerCli.ts', workerArgs));
        }
      },
    });
    for (const w of workers) {
      const { code } = await w.exited;
      if (code !== 0) throw new Error(`a build worker exited with ${code}:\n${w.output()}`);
    }
    return {
      listMs: Math.round(phases.listMs),
      queueMs: Math.round(phases.queueMs),
      mergeMs: Math.round(phases.mergeMs),
      totalMs: Math.round(phases.totalMs),
      imagesPerSecond: Math.round((report.counts.indexed / phases.totalMs) * 10000) / 10,
      indexed: report.counts.indexed,
      featurized: report.counts.featurized,
    };
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  }
}
