import type { CatalogItem } from '../core/catalog';
import type { VectorTransform } from '../core/vectorTransform';
import type { BuildToPublish } from '../storage/publishDataDir';
import { viewCacheKey } from './augmentedViews';
import { DEFAULT_DIMS, DEFAULT_SEED } from './assembleIndex';
import { thumbnailName } from '../storage/dataDirNames';
import { MIN_VIEWS, fitCollectionTransform, type TransformInputs } from './fitTransform';
import type { ProcessedImage } from './imagePipeline';
import { itemIdsFor } from './itemId';
import { freshProjections, type Projections } from './projectionCache';
import type { PublishBuildOptions } from './publishBuild';
import type { SourceMeta } from './sourceMeta';
import { chooseTransform, type FitOutcome } from './transformFit';
import { storedOriginalName } from '../storage/storedOriginal';

/* What both layouts' publishers make of the featurized images: the transform, catalog items, media. */

/**
 * The transform to build with: the previous one while the collection has not moved it, else one fitted
 * here; and the images' projections under it, the previous build's where the transform was kept.
 */
export async function resolveTransform(
  o: PublishBuildOptions,
  inputs: TransformInputs,
): Promise<{
  fitted: VectorTransform;
  fit: FitOutcome;
  projections: Projections;
  /** The cross-source pairs a fit here learned from (fitCollectionTransform); absent when kept or without sources. */
  sourcePairs?: number;
}> {
  const previous = o.previousFit;
  const { keep, outcome: fit } = chooseTransform(previous, o.images, o.refit === true);
  const kept =
    keep !== undefined && previous !== undefined && !('missing' in previous) && previous.projections;
  const { transform: fitted, sourcePairs } =
    keep !== undefined
      ? { transform: keep, sourcePairs: undefined }
      : await fitCollectionTransform(
          o.images.map((u) => u.embedding),
          { ...inputs, dims: o.dims ?? DEFAULT_DIMS, seed: DEFAULT_SEED },
        );
  const projections = kept || freshProjections(o.fitKey, fitted);
  // The images' vectors in blocks (those the previous build kept are not redone); with a new fit also
  // the edited views', which its calibration reads.
  const views = kept ? [] : o.images.filter((u) => u.views?.length);
  await projections.prepare(
    [
      ...o.images.map((u) => u.hash),
      ...views.flatMap((u) => u.views!.map((_, v) => viewCacheKey(u.hash, v))),
    ],
    [...o.images.map((u) => u.embedding), ...views.flatMap((u) => u.views!)],
  );
  return { fitted, fit, projections, ...(sourcePairs !== undefined ? { sourcePairs } : {}) };
}

/**
 * The projections of the images' edited copies, in transformInputs' order, kept with the images'
 * under the views' cache keys.
 */
export function viewProjections(
  images: ProcessedImage[],
  projections: Projections,
): (i: number) => Float64Array {
  const keys = images.flatMap((u) => (u.views ?? []).map((_, v) => viewCacheKey(u.hash, v)));
  const embeddings = images.flatMap((u) => u.views ?? []);
  return (i) => projections.of(keys[i], embeddings[i]);
}

/**
 * The catalog's items for `images`, in their order, each with its own id (itemIdsFor), naming the
 * originals the build stored (with their metadata or without: storedOriginalName).
 */
export function catalogItems(
  images: readonly ProcessedImage[],
  meta: SourceMeta,
  keepMetadata: boolean,
): CatalogItem[] {
  const ids = itemIdsFor(images.map((u) => u.entry.key));
  return images.map((u) => catalogItem(u, ids.get(u.entry.key)!, meta, keepMetadata));
}

function catalogItem(u: ProcessedImage, id: string, meta: SourceMeta, keepMetadata: boolean): CatalogItem {
  const item: CatalogItem = {
    id,
    album: u.entry.album,
    name: u.entry.path,
    thumb: thumbnailName(u.hash),
    original: storedOriginalName(u.hash, u.ext, keepMetadata),
    width: u.width,
    height: u.height,
    bytes: u.entry.size,
  };
  const m = meta.get(u.entry.key);
  if (m !== undefined) item.meta = m;
  return item;
}

/** The thumbnails and originals of a catalog's items: what the data dir must keep for it. */
export function mediaOf(items: CatalogItem[]): BuildToPublish['media'] {
  return items.flatMap((it) => [it.thumb, it.original]);
}

/** Edited copies the transform learned from; 0 when too few to learn from (fitTransform's MIN_VIEWS). */
export function viewsLearnedFrom(images: ProcessedImage[]): number {
  const n = images.reduce((sum, u) => sum + (u.views?.length ?? 0), 0);
  return n >= MIN_VIEWS ? n : 0;
}

/** The bytes of the index that are its transform (float32 mean and projection). */
export function transformBytes(t: VectorTransform): number {
  return (t.mean.length + t.projection.length) * 4;
}
