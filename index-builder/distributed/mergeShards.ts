import pLimit from 'p-limit';
import type { SkippedFile } from '../buildReport';
import { hash16 } from '../contentAddress';
import type { DataDirWriter } from '../../storage/dataDirWriter';
import type { ProcessedImage } from '../imagePipeline';
import type { SourceEntry } from '../imageSource';
import { isOriginalOf } from '../safeOriginal';
import { decodePartialShard, type PartialShard } from './partialShard';
import { WorkStore } from './workStore';

/** A finished job as the coordinator knows it: what it asked for and where the answer is. */
export interface FinishedJob {
  jobId: string;
  entries: SourceEntry[];
  shardKey: string;
}

export interface MergeOptions {
  store: WorkStore;
  buildId: string;
  modelSha256: string;
  dim: number;
  /** In job order: concatenated, their images are in listing order. */
  jobs: FinishedJob[];
  writer: DataDirWriter;
  /** Parallel downloads. */
  concurrency?: number;
}

export interface MergedShards {
  /** In listing order, as the single-machine pipeline returns them. */
  images: ProcessedImage[];
  skipped: SkippedFile[];
  thumbnailsWritten: number;
  originalsWritten: number;
}

/** Checks that the shard answers exactly its job: every entry once, as an image or a skip, in order. */
function matchToJob(shard: PartialShard, job: FinishedJob, o: MergeOptions, name: string): ProcessedImage[] {
  const fail = (problem: string): never => {
    throw new Error(`partial shard ${name} does not answer job ${job.jobId}: ${problem}`);
  };
  if (shard.buildId !== o.buildId || shard.jobId !== job.jobId) {
    fail(`it was written for build ${shard.buildId}, job ${shard.jobId}`);
  }
  if (shard.modelSha256 !== o.modelSha256 || shard.dim !== o.dim) {
    fail(`its embeddings come from model ${shard.modelSha256} (dim ${shard.dim})`);
  }
  const skippedKeys = new Set(shard.skipped.map((s) => s.key));
  const images: ProcessedImage[] = [];
  let next = 0;
  for (const entry of job.entries) {
    const im = shard.images[next];
    if (im !== undefined && im.key === entry.key) {
      const { hash, width, height, ext, embedding, views } = im;
      images.push({ entry, hash, width, height, ext, embedding, ...(views ? { views } : {}) });
      next++;
    } else if (!skippedKeys.delete(entry.key)) {
      fail(`${entry.key} is neither among its images (in job order) nor skipped`);
    }
  }
  if (next !== shard.images.length)
    fail(`image ${shard.images[next].key} is not in the job, or out of order`);
  if (skippedKeys.size > 0) fail(`skipped file ${[...skippedKeys][0]} is not in the job`);
  return images;
}

/**
 * Reads every finished job's partial shard and copies the thumbnails and originals its worker made
 * into the data dir (those it already holds are not downloaded). The result is what
 * runImagePipeline would have returned on one machine, ready for publishBuild.
 */
export async function mergeShards(o: MergeOptions): Promise<MergedShards> {
  const limit = pLimit(o.concurrency ?? 32);
  const answers = await Promise.all(
    o.jobs.map((job) =>
      limit(async () => {
        const name = o.store.describe(job.shardKey);
        const shard = decodePartialShard(await o.store.get(job.shardKey), name);
        return { images: matchToJob(shard, job, o, name), skipped: shard.skipped };
      }),
    ),
  );
  const images = answers.flatMap((a) => a.images);
  const skipped = answers.flatMap((a) => a.skipped);

  const media = new Map<string, string | undefined>();
  for (const u of images) {
    media.set(`thumbs/${hash16(u.hash)}.webp`, undefined);
    // Originals are checked against the hash the shard gives: a mix-up would publish the wrong file.
    media.set(`originals/${hash16(u.hash)}.${u.ext}`, u.hash);
  }
  const mediaPrefix = WorkStore.mediaPrefix(o.buildId);
  let thumbnailsWritten = 0;
  let originalsWritten = 0;
  await Promise.all(
    [...media].map(([name, hash]) =>
      limit(async () => {
        if (await o.writer.has(name)) return;
        const key = mediaPrefix + name;
        const bytes = await o.store.get(key);
        if (hash !== undefined && !isOriginalOf(bytes, hash)) {
          throw new Error(
            `${o.store.describe(key)} does not hold the image its shard names (sha256 ${hash})`,
          );
        }
        if (await o.writer.putContentAddressed(name, bytes, false)) {
          if (hash === undefined) thumbnailsWritten++;
          else originalsWritten++;
        }
      }),
    ),
  );
  return { images, skipped, thumbnailsWritten, originalsWritten };
}
