import type { AugmentPlan } from './augmentedViews';
import { isSampled, viewCacheKey } from './augmentedViews';
import { thumbnailName } from '../storage/dataDirNames';
import type { EmbeddingCache } from './embeddingCache';
import type { MediaSink, ProcessedImage } from './imagePipeline';
import type { SourceEntry } from './imageSource';
import type { KnownFile } from './sourceFileRecords';
import { storedOriginalName } from '../storage/storedOriginal';

/** Edited copies the plan asks of an image with this content hash (0 when it is not sampled). */
export function viewCountFor(hash: string, plan: AugmentPlan | undefined): number {
  return plan && isSampled(hash, plan) ? plan.viewsPerImage : 0;
}

/** The image's cached view embeddings, when every one of the `count` is there. */
export function cachedViews(cache: EmbeddingCache, hash: string, count: number): Float32Array[] | undefined {
  const views = Array.from({ length: count }, (_, v) => cache.get(viewCacheKey(hash, v)));
  return views.every((v) => v !== undefined) ? views : undefined;
}

/**
 * An unchanged file (as the last build recorded it) whose embedding, views, thumbnail and original
 * are all already made: what it yields, without reading, decoding or featurizing it again. Undefined
 * when anything is missing, or its thumbnail or original is damaged (`media.has` checks their sizes);
 * then the file goes through the pipeline (or to a worker) as a new one, which makes them again.
 */
export async function recallUnchanged(
  entry: SourceEntry,
  o: {
    known: ((entry: SourceEntry) => KnownFile | undefined) | undefined;
    cache: EmbeddingCache;
    media: MediaSink;
    augment: AugmentPlan | undefined;
    /** Whose originals are wanted: the stripped ones have names of their own (storedOriginalName). */
    keepMetadata?: boolean;
  },
): Promise<ProcessedImage | undefined> {
  const known = o.known?.(entry);
  if (known === undefined) return undefined;
  const { hash, width, height, ext } = known;
  const embedding = o.cache.get(hash);
  const viewCount = viewCountFor(hash, o.augment);
  const views = cachedViews(o.cache, hash, viewCount);
  if (embedding === undefined || views === undefined) return undefined;
  const stored = await Promise.all([
    o.media.has(thumbnailName(hash)),
    o.media.has(storedOriginalName(hash, ext, o.keepMetadata === true)),
  ]);
  if (!stored.every(Boolean)) return undefined;
  return { entry, hash, width, height, ext, embedding, ...(viewCount > 0 ? { views } : {}) };
}

/** Keeps what a worker computed, so the next build can recall the image (recallUnchanged). */
export function rememberEmbeddings(cache: EmbeddingCache, image: ProcessedImage): void {
  cache.set(image.hash, image.embedding);
  image.views?.forEach((v, i) => cache.set(viewCacheKey(image.hash, i), v));
}
