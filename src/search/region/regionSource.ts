import { errorMessage } from '../../../core/errorMessage';
import type { ImageRegion } from '../../../core/imageRegion';
import { decodeUpright, regionOf, type RegionPixels } from '../../imageFile/decodeImage';

/** One stored picture of the query image, e.g. an album item's original or its thumbnail. */
export interface Rendition {
  url: string;
  /** What it is, in words: "the original", "the thumbnail", "your image". */
  what: string;
}

/** The image a region is cut from: renditions largest first; `key` names the image for caching searches. */
export interface RegionImage {
  key: string;
  renditions: Rendition[];
}

export interface RegionCrop extends RegionPixels {
  /** The rendition the crop was cut from. */
  from: Rendition;
  /** Why larger renditions could not be used (empty when the first one was). */
  skipped: string[];
}

async function fetchBlob(url: string): Promise<Blob> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  return response.blob();
}

/**
 * The rendition whose regions are being searched, decoded once: each new box is a cut of it, not another
 * decode of the whole file (six quick boxes on a 100-megapixel upload took 13 s and 1.2 GB more, one
 * decode each). One is held; the first box of another image lets it go.
 */
let held: { id: string; bitmap: Promise<ImageBitmap> } | null = null;

function uprightRendition(image: RegionImage, from: Rendition): Promise<ImageBitmap> {
  const id = `${image.key}\n${from.url}`;
  if (held?.id !== id) {
    // A search of the previous image still cutting from it is outdated: its answer is dropped.
    void held?.bitmap.then(
      (bitmap) => bitmap.close(),
      () => {},
    );
    const bitmap = fetchBlob(from.url).then(decodeUpright);
    held = { id, bitmap };
    bitmap.catch(() => {
      if (held?.bitmap === bitmap) held = null;
    });
  }
  return held.bitmap;
}

/**
 * The region's pixels, cut at full resolution from the largest rendition this browser can fetch and
 * decode (an original in a format the browser cannot read falls back to the thumbnail). The pixel buffer
 * is fresh, so the caller may transfer it to the worker.
 */
export async function cropRegion(image: RegionImage, region: ImageRegion): Promise<RegionCrop> {
  const failures: string[] = [];
  for (const from of image.renditions) {
    try {
      return { ...(await regionOf(await uprightRendition(image, from), region)), from, skipped: failures };
    } catch (error) {
      failures.push(`${from.what} could not be used (${errorMessage(error)})`);
    }
  }
  throw new Error(`The region could not be cut from the image: ${failures.join('; ')}.`);
}
