import pLimit from 'p-limit';
import type { SkippedFile } from '../buildReport';
import { thumbnailName } from '../../storage/dataDirNames';
import type { DataDirWriter } from '../../storage/dataDirWriter';
import type { ProcessedImage } from '../imagePipeline';
import type { SourceEntry } from '../imageSource';
import { signedFormat } from '../imageSignature';
import { isOriginalOf } from '../safeOriginal';
import { decodePartialShard, PartialShardError, type PartialShard } from './partialShard';
import { WorkStore } from './workStore';
import { storedOriginalName } from '../../storage/storedOriginal';

/** A finished job as the coordinator knows it: what it asked for and where the answer is. */
export interface FinishedJob {
  jobId: string;
  entries: SourceEntry[];
  shardKey: string;
}

interface MergeOptions {
  store: Pick<WorkStore, 'find' | 'describe'>;
  buildId: string;
  modelSha256: string;
  dim: number;
  writer: DataDirWriter;
  /** Whether the build keeps originals' metadata: its workers stored them under the kept names. */
  keepMetadata: boolean;
  /** Parallel downloads. */
  concurrency?: number;
}

/** What one job adds to the build: its images in job order, and the files it skipped. */
export interface JobOutput {
  images: ProcessedImage[];
  skipped: SkippedFile[];
}

/**
 * A job's output that cannot be used: its shard or a file it names is missing, damaged, or not this
 * job's. Nothing in it depends on timing or on the worker, so running the job again mends it unless
 * the worker that runs it is at fault (another version, a broken disk or network).
 */
export class DamagedJobOutput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DamagedJobOutput';
  }
}

/** Checks that the shard answers exactly its job: every entry once, as an image or a skip, in order. */
function matchToJob(shard: PartialShard, job: FinishedJob, o: MergeOptions, name: string): ProcessedImage[] {
  const fail = (problem: string): never => {
    throw new DamagedJobOutput(`partial shard ${name} does not answer job ${job.jobId}: ${problem}`);
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
 * Collects finished jobs into the data dir: reads each job's partial shard and copies the thumbnails
 * and originals its worker made (those the data dir already holds intact are not downloaded). Jobs are
 * collected one by one, so the coordinator can run again those whose output is damaged while the
 * others' stays collected; in listing order, the images are what runImagePipeline would have
 * returned on one machine, ready for publishBuild.
 */
export class ShardMerge {
  thumbnailsWritten = 0;
  originalsWritten = 0;
  private readonly limit: ReturnType<typeof pLimit>;
  /** Copies under way or done, by data dir name: two jobs may hold the same image. */
  private readonly copies = new Map<string, Promise<void>>();

  constructor(private readonly o: MergeOptions) {
    this.limit = pLimit(o.concurrency ?? 32);
  }

  /** The job's output, its media in the data dir; throws DamagedJobOutput when running it again may mend it. */
  async collect(job: FinishedJob): Promise<JobOutput> {
    const { store } = this.o;
    const name = store.describe(job.shardKey);
    const bytes = await this.limit(() => store.find(job.shardKey));
    if (bytes === undefined) throw new DamagedJobOutput(`job ${job.jobId} left no shard at ${name}`);
    let shard: PartialShard;
    try {
      shard = decodePartialShard(bytes, name);
    } catch (err) {
      if (err instanceof PartialShardError) throw new DamagedJobOutput(err.message);
      throw err;
    }
    const images = matchToJob(shard, job, this.o, name);
    await Promise.all(
      images.flatMap((u) => [
        this.copy(job, thumbnailName(u.hash)),
        // Originals are checked against the hash the shard gives: a mix-up would publish the wrong file.
        // A kept original is the source itself, a stripped one or a rendering records the source's
        // sha256 (isOriginalOf); each under the name the build's keepMetadata gives it.
        this.copy(job, storedOriginalName(u.hash, u.ext, this.o.keepMetadata), u.hash),
      ]),
    );
    return { images, skipped: shard.skipped };
  }

  private copy(job: FinishedJob, name: string, hash?: string): Promise<void> {
    const started = this.copies.get(name);
    if (started !== undefined) return started;
    const copying = this.limit(async () => {
      if (await this.o.writer.has(name)) return;
      const key = WorkStore.mediaPrefix(this.o.buildId) + name;
      const bytes = await this.o.store.find(key);
      const damaged = (problem: string) =>
        new DamagedJobOutput(`${this.o.store.describe(key)}, of job ${job.jobId}, ${problem}`);
      if (bytes === undefined) throw damaged('is missing');
      if (hash !== undefined && !isOriginalOf(bytes, hash)) {
        throw damaged(`does not hold the image its shard names (sha256 ${hash})`);
      }
      if (hash === undefined && signedFormat(bytes) !== 'webp') throw damaged('is not a WebP thumbnail');
      if (await this.o.writer.putContentAddressed(name, bytes, false)) {
        if (hash === undefined) this.thumbnailsWritten++;
        else this.originalsWritten++;
      }
    });
    // A failed copy is tried again by the next job that names the file (the re-run rewrites it).
    copying.catch(() => {
      if (this.copies.get(name) === copying) this.copies.delete(name);
    });
    this.copies.set(name, copying);
    return copying;
  }
}
