import type { EmbeddingCache } from '../embeddingCache';
import { runImagePipeline } from '../imagePipeline';
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
export interface BuildJobContext {
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
 * Runs one job: the single-machine image pipeline over the job's slice of the listing, with
 * thumbnails and originals going to the work prefix, then the partial shard. Writing the shard last
 * makes a re-run after any failure simply overwrite what a previous try may have left.
 */
export async function runBuildJob(data: BuildJobData, ctx: BuildJobContext): Promise<BuildJobResult> {
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
      sharedRunner: async () => (runner = await ctx.runners.take(sha256, onnxPath, spec)),
      progress: ctx.progress,
    });
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
