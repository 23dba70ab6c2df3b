import type { EmbeddingCache } from '../embeddingCache';
import { runImagePipeline, type ReadFailure } from '../imagePipeline';
import type { OnnxModelRunner } from '../onnxModelRunner';
import type { ProgressReporter } from '../progressReporter';
import { S3Source } from '../s3Source';
import type { BuildJobData, BuildJobResult } from './buildQueue';
import { encodePartialShard } from './partialShard';
import type { RunnerPool } from './runnerPool';
import { S3MediaSink } from './s3MediaSink';
import type { ModelCache } from './sharedModel';
import { WorkStore, type S3Access } from './workStore';

/** What a worker process lends to each job it runs. */
interface BuildJobContext {
  access: S3Access;
  models: ModelCache;
  /** The worker's embedding cache for that model file. */
  embeddings(data: BuildJobData): Promise<EmbeddingCache>;
  runners: RunnerPool;
  progress: ProgressReporter;
  /** `host:pid`, recorded in the job's result. */
  workerName: string;
}

/**
 * Files of the job this worker could not read, though they are as listed: on one machine that is a
 * fact about the file, here it may be a fact about the worker (no access to the source, a network
 * that fails). The job fails so that it is tried again, by whichever worker takes it: on its last
 * attempt the files are skipped as `read-failed` (the next build tries them again), unless this
 * worker read none of two or more, which says more about the worker than about the files. A worker
 * that could not read the source used to finish every job at once with every image skipped, take
 * most of them, and publish an index without those images.
 */
export class UnreadSourceError extends Error {
  override name = 'UnreadSourceError';
  constructor(
    readonly failed: number,
    readonly reads: number,
    first: ReadFailure,
    source: string,
    /** This worker read none of the job's files: its access to the source is in doubt. */
    readonly readNothing: boolean,
  ) {
    super(
      `${readNothing ? `this worker could read none of the job's ${reads} files` : `${failed} of the job's ${reads} files could not be read`} ` +
        `from ${source} (first: ${first.key}: ${first.message}); the job is tried again`,
    );
  }
}

/**
 * Runs one job: the single-machine image pipeline over the job's slice of the listing, with
 * thumbnails and originals going to the work prefix, then the partial shard. Writing the shard last
 * makes a re-run after any failure simply overwrite what a previous try may have left.
 * `lastAttempt`: the queue will not try the job again after this.
 */
export async function runBuildJob(
  data: BuildJobData,
  ctx: BuildJobContext,
  lastAttempt: boolean,
): Promise<BuildJobResult> {
  const store = new WorkStore(data.work, ctx.access);
  const source = new S3Source(data.source, ctx.access);
  const { sha256, spec } = data.model;
  let runner: OnnxModelRunner | undefined;
  let succeeded = false;
  try {
    const onnxPath = await ctx.models.path(store, sha256);
    const processed = await runImagePipeline({
      entries: data.entries,
      source,
      writer: new S3MediaSink(store, WorkStore.mediaPrefix(data.buildId)),
      cache: await ctx.embeddings(data),
      model: { spec, onnxPath },
      maxPixels: data.maxPixels,
      batchSize: data.batchSize,
      augment: data.augment,
      keepMetadata: data.keepMetadata,
      sharedRunner: async () => (runner = await ctx.runners.take(sha256, onnxPath, spec)),
      progress: ctx.progress,
    });
    const unread = processed.readFailures.filter((f) => !f.sourceChanged);
    if (unread.length > 0) {
      const readNothing = unread.length === processed.reads;
      if (!lastAttempt || (readNothing && processed.reads >= 2))
        throw new UnreadSourceError(unread.length, processed.reads, unread[0], data.source, readNothing);
    }
    const shardKey = WorkStore.shardKey(data.buildId, data.jobId);
    const shard = encodePartialShard({
      buildId: data.buildId,
      jobId: data.jobId,
      modelSha256: sha256,
      dim: spec.output.dim,
      images: processed.images.map((u) => ({
        key: u.entry.key,
        hash: u.hash,
        width: u.width,
        height: u.height,
        ext: u.ext,
        embedding: u.embedding,
        ...(u.views ? { views: u.views } : {}),
      })),
      skipped: processed.skipped,
    });
    await store.put(shardKey, shard);
    succeeded = true;
    return {
      shardKey,
      images: processed.images.length,
      skipped: processed.skipped.length,
      featurized: processed.featurized,
      processMs: Math.round(processed.processMs),
      modelLoadMs: Math.round(processed.modelLoadMs),
      modelWaitMs: Math.round(processed.modelWaitMs),
      worker: ctx.workerName,
    };
  } finally {
    store.destroy();
    // After a failure the runner may be the reason: the next job gets a fresh one.
    if (runner !== undefined) {
      if (succeeded) ctx.runners.give(sha256, runner);
      else await runner.release();
    }
  }
}
