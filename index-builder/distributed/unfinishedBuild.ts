import type { SkippedFile } from '../buildReport';
import type { EmbeddingCache } from '../embeddingCache';
import type { ProcessedImage } from '../imagePipeline';
import type { SourceEntry } from '../imageSource';
import { UNFINISHED_SOURCE_FILES_FILE, sourceFileRecordsBytes } from '../sourceFileRecords';
import { rememberEmbeddings } from '../unchangedImage';
import type { DataDirWriter } from '../../storage/dataDirWriter';
import type { BuildJobData } from './buildQueue';
import { DamagedJobOutput, type JobOutput, type ShardMerge } from './mergeShards';
import { WorkStore } from './workStore';

/** What a distributed build that failed or was stopped had done when it ended. */
interface UnfinishedBuild {
  merge: ShardMerge;
  jobs: readonly BuildJobData[];
  /** Jobs already collected, by id; the others are collected here if they left a usable shard. */
  outputs: Map<string, JobOutput>;
  /** By listing index: images recalled from earlier builds (undefined: queued). */
  recalled: readonly (ProcessedImage | undefined)[];
  entries: readonly SourceEntry[];
  /** Files skipped so far: the listing's, and those recalled as skipped. */
  skipped: readonly SkippedFile[];
  cache: EmbeddingCache;
  writer: DataDirWriter;
  maxPixels: number;
  /** When the listing started (ms since the epoch). */
  listedAt: number;
}

/**
 * Keeps what the finished jobs of a build that failed (or was stopped) made, so that the next run
 * queues only the rest: their embeddings go to the coordinator's cache, their thumbnails and
 * originals into the data dir (not referenced until a build publishes them), and what their files
 * held to UNFINISHED_SOURCE_FILES_FILE, which the next run reads after the published records.
 * Before, a build that failed at its last job queued every job again. Returns the images kept.
 */
export async function keepFinishedWork(u: UnfinishedBuild): Promise<number> {
  const settled = await Promise.allSettled(
    u.jobs
      .filter((data) => !u.outputs.has(data.jobId))
      .map(async (data) => {
        const shardKey = WorkStore.shardKey(data.buildId, data.jobId);
        try {
          u.outputs.set(
            data.jobId,
            await u.merge.collect({ jobId: data.jobId, entries: data.entries, shardKey }),
          );
        } catch (err) {
          // Not finished, or damaged: queued again next time.
          if (!(err instanceof DamagedJobOutput)) throw err;
        }
      }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const collected = [...u.outputs.values()];
  const made = collected.flatMap((o) => o.images);
  // What an earlier unfinished build kept stays as it was.
  if (made.length === 0) return 0;
  for (const image of made) rememberEmbeddings(u.cache, image);
  await u.cache.flush();
  const known = [...u.recalled.filter((image) => image !== undefined), ...made];
  const skipped = [...u.skipped, ...collected.flatMap((o) => o.skipped)];
  await u.writer.replaceAtomically(
    UNFINISHED_SOURCE_FILES_FILE,
    sourceFileRecordsBytes(known, u.maxPixels, u.listedAt, { skipped, entries: u.entries }),
  );
  return made.length;
}
