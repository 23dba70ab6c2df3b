import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { RgbaImage } from '../core/rgbaImage';
import { editImage, randomEdits } from './imageEdits';

/*
 * Which images of a collection get edited copies ("views") for learning the index transform, and
 * which edits each view gets. Everything is derived from the image's content hash, so every build
 * (single-machine or any worker of a distributed one) makes the same views, and the embedding cache
 * can keep them.
 */

/** Change when randomEdits or the view preparation changes, so cached view embeddings are not reused. */
const VIEW_RECIPE = 'views-1';

/**
 * Enough within-image pairs for a stable scatter estimate. Four times as many (1,536) lifted the demo
 * vendors' emoji and lost Facebook's for 4× the view featurization (docs/model.md), so 384 stays.
 */
const MAX_AUGMENTED_IMAGES = 384;

/** Views are made from a copy this small: the model sees far less, and edits of huge images are slow. */
const VIEW_SOURCE_SIDE = 512;

export interface AugmentPlan {
  /** Edited copies per sampled image. */
  viewsPerImage: number;
  /** Fraction of images that get views (chosen by content hash). */
  sampleRate: number;
}

/** Edited copies per sampled image; collections under SMALL_COLLECTION_IMAGES get more each. */
export const VIEWS_PER_IMAGE = 4;
export const SMALL_COLLECTION_VIEWS = 8;
export const SMALL_COLLECTION_IMAGES = 256;

/**
 * The plan for a collection of `count` images: about MAX_AUGMENTED_IMAGES images get views; small
 * collections get more views per image so the scatter still has enough pairs. `viewsPerImage` 0
 * turns learning off.
 */
export function augmentPlan(count: number, viewsPerImage?: number): AugmentPlan {
  const views = viewsPerImage ?? (count < SMALL_COLLECTION_IMAGES ? SMALL_COLLECTION_VIEWS : VIEWS_PER_IMAGE);
  if (!Number.isInteger(views) || views < 0)
    throw new RangeError(`views per image must be ≥ 0, got ${views}`);
  return { viewsPerImage: views, sampleRate: count > 0 ? Math.min(1, MAX_AUGMENTED_IMAGES / count) : 0 };
}

/** Whether the image with this content hash (hex) gets views under the plan. */
export function isSampled(hash: string, plan: AugmentPlan): boolean {
  if (plan.viewsPerImage === 0 || plan.sampleRate <= 0) return false;
  return parseInt(hash.slice(0, 8), 16) / 2 ** 32 < plan.sampleRate;
}

/** The embedding-cache key (hex) of view `v` of an image. */
export function viewCacheKey(hash: string, v: number): string {
  return createHash('sha256').update(`${hash}:${VIEW_RECIPE}:${v}`).digest('hex');
}

/** The edited copies of an image, each from its own seed derived from the content hash. */
export async function makeViews(image: RgbaImage, hash: string, count: number): Promise<RgbaImage[]> {
  let source = image;
  if (Math.max(image.width, image.height) > VIEW_SOURCE_SIDE) {
    const { data, info } = await sharp(image.data, {
      raw: { width: image.width, height: image.height, channels: 4 },
    })
      .resize(VIEW_SOURCE_SIDE, VIEW_SOURCE_SIDE, { fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    source = {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  }
  const views: RgbaImage[] = [];
  for (let v = 0; v < count; v++) {
    const seed = parseInt(viewCacheKey(hash, v).slice(0, 8), 16);
    views.push(await editImage(source, randomEdits(seed)));
  }
  return views;
}
