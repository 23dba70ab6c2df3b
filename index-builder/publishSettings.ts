import type { ModelOutput } from '../core/modelSpec';
import { DEFAULT_DIMS, SHARDED_DIMS, WIDE_DIMS } from './assembleIndex';
import { MAX_INNER_DIMS_FROM_ROWS } from './fitTransform';
import type { TransformInputs } from './fitTransform';
import { buildLabels, buildSources } from './imageLabels';
import type { ProcessedImage } from './imagePipeline';
import type { SourceMeta } from './sourceMeta';
import { checkNeighbourBlend, type NeighbourBlendOptions } from './neighbourBlend';
import type { StylePairs } from '../models/stylePairsFile';

/** How the index is laid out: what every build passes to publishBuild and fingerprints. */
export interface PublishSettings {
  dims?: number;
  bits?: number;
  /** 'auto' shards collections above SHARDED_LAYOUT_MIN_IMAGES. */
  layout?: IndexLayout;
  /** Rows per cell (sharded layout) and items per catalog shard (both layouts); small values for tests. */
  rowsPerCell?: number;
  shardSize?: number;
  /** Edited copies per sampled image for learning the transform (augmentedViews.ts); 0 turns it off. */
  views?: number;
  /** The transform's regularisers (fitTransform.ts). */
  whitenEpsilon?: number;
  invarianceRegulariser?: number;
  /**
   * Names images with one label (imageLabels.ts): the transform learns they show the same thing.
   * Without it, the `label` fields of the source's metadata do.
   */
  labelPattern?: string;
  /**
   * Names where each image comes from (imageLabels.ts buildSources): the fit pairs images that are
   * each other's nearest in another source and learns from the pairs like labels (sourcePairs.ts).
   */
  sourcePattern?: string;
  /**
   * Database-side augmentation (neighbourBlend.ts): each stored row becomes a similarity-weighted mean
   * of itself and this many nearest neighbours; 0 or absent = off. Queries by image are not blended.
   */
  blendNeighbours?: number;
  /** The neighbours' weight is max(0, cos)^blendAlpha (default DEFAULT_BLEND_ALPHA). */
  blendAlpha?: number;
  /**
   * Publish originals with the metadata their sources carry (EXIF with GPS position and camera serial,
   * XMP, IPTC, comments); by default it is stripped, losslessly (originalMetadata.ts). The catalog names
   * the originals either way, and the two are stored under different names (storedOriginalName).
   */
  keepMetadata?: boolean;
}

/** Just the publish settings of a larger options object. */
export function publishSettings(o: PublishSettings): PublishSettings {
  return {
    dims: o.dims,
    bits: o.bits,
    layout: o.layout,
    rowsPerCell: o.rowsPerCell,
    shardSize: o.shardSize,
    views: o.views,
    whitenEpsilon: o.whitenEpsilon,
    invarianceRegulariser: o.invarianceRegulariser,
    labelPattern: o.labelPattern,
    sourcePattern: o.sourcePattern,
    blendNeighbours: o.blendNeighbours,
    blendAlpha: o.blendAlpha,
    keepMetadata: o.keepMetadata,
  };
}

/** The neighbour blend of a build, or undefined when off. */
export function blendOptions(o: PublishSettings): NeighbourBlendOptions | undefined {
  if (o.blendNeighbours === undefined || o.blendNeighbours === 0) {
    if (o.blendAlpha !== undefined) throw new Error('blendAlpha needs blendNeighbours');
    return undefined;
  }
  const blend = { neighbours: o.blendNeighbours, alpha: o.blendAlpha };
  checkNeighbourBlend(blend);
  return blend;
}

/**
 * The fitTransform options of a build: its regularisers, the views its images carry, the labels its
 * names or metadata give them, the sources its names give them, where the model's colour block sits in their embeddings (ModelSpec output.colourBlock), and the model's style pairs.
 */
export function transformInputs(
  o: PublishSettings,
  images: ProcessedImage[],
  meta: SourceMeta,
  colourBlock: ModelOutput['colourBlock'],
  stylePairs: StylePairs | undefined,
): TransformInputs {
  const views = images.flatMap((u, row) => (u.views ?? []).map((embedding) => ({ row, embedding })));
  return {
    whitenEpsilon: o.whitenEpsilon,
    invarianceRegulariser: o.invarianceRegulariser,
    views,
    labels: buildLabels(
      images.map((u) => u.entry.key),
      o.labelPattern,
      meta,
    ),
    sources: buildSources(
      images.map((u) => u.entry.key),
      o.sourcePattern,
    ),
    colourBlock,
    ...(stylePairs !== undefined ? { stylePairs } : {}),
  };
}

export type IndexLayout = 'resident' | 'sharded' | 'auto';

/**
 * Above this a resident index and catalog would be tens of MB before the first result; below it the
 * one-file layout is faster (one request, exact scan) and works on any static host.
 */
export const SHARDED_LAYOUT_MIN_IMAGES = 50_000;

export function resolveLayout(layout: IndexLayout | undefined, count: number): 'resident' | 'sharded' {
  if (layout === undefined || layout === 'auto')
    return count >= SHARDED_LAYOUT_MIN_IMAGES ? 'sharded' : 'resident';
  return layout;
}

/**
 * A resident index's dims: 128 (int8), or 256 (int4, the same 128 B per image) once the collection is
 * large enough for the learned whitening to start from its most components (fitTransform.ts
 * invarianceInnerDims; 6,144 images). Measured on the development sets, 256 int4 dims find more of the
 * right emoji on both large galleries; on the small ones (206 and 700 images), whose fit starts from
 * 256 components, keeping them all loses texture precision (docs/model.md, int4 rows).
 */
export function residentDims(count: number): number {
  return count >= MAX_INNER_DIMS_FROM_ROWS ? WIDE_DIMS : DEFAULT_DIMS;
}

/** The settings with `dims` filled in for the layout a collection of `count` images gets. */
export function withLayoutDims<S extends PublishSettings>(s: S, count: number): S {
  if (s.dims !== undefined) return s;
  return { ...s, dims: resolveLayout(s.layout, count) === 'sharded' ? SHARDED_DIMS : residentDims(count) };
}
