import sharp from 'sharp';
import { contentHash } from './contentAddress';
import { ImageDecodeError, classify, type ImageInfo } from './decodeImage';
import { SIGNATURE_BYTES, signedFormat, type SignedFormat } from './imageSignature';
import { recordedSourceHash } from '../storage/storedOriginal';
import { withSourceText, withoutMetadata } from './originalMetadata';
import type { VectorRenderer } from './vectorRenderer';

/*
 * Originals are served from the app's own origin, so none may be active content: an SVG (script,
 * links, foreignObject), a PDF or anything a browser might sniff as a document would run with the
 * site's privileges when opened. Only plain raster formats that browsers display, and whose bytes
 * start with that format's own signature, are stored as they are (less their metadata, unless the
 * build keeps it: originalMetadata.ts); everything else is rasterised to PNG (librsvg and the other
 * libvips loaders never run scripts), or refused.
 */

/** What the data dir stores as `originals/<hash16>.<ext>`. */
export interface SafeOriginal {
  ext: string;
  bytes: Uint8Array;
  /** True when `bytes` is a PNG rendering of the source, not the source itself. */
  rasterised: boolean;
}

/** Extension and signature of the raster formats stored as they are (or stripped), by sharp's format name. */
const PLAIN_RASTERS: Record<string, { ext: string; signature: SignedFormat }> = {
  jpeg: { ext: 'jpg', signature: 'jpeg' },
  png: { ext: 'png', signature: 'png' },
  gif: { ext: 'gif', signature: 'gif' },
  webp: { ext: 'webp', signature: 'webp' },
  avif: { ext: 'avif', signature: 'heif' },
};

function plainRaster(info: ImageInfo): { ext: string; signature: SignedFormat } | undefined {
  if (info.format === 'heif') return info.compression === 'av1' ? PLAIN_RASTERS.avif : undefined;
  return Object.hasOwn(PLAIN_RASTERS, info.format) ? PLAIN_RASTERS[info.format] : undefined;
}

/** True if `bytes` is the stored original of the source with this sha256 (itself, its PNG, or it stripped). */
export function isOriginalOf(bytes: Uint8Array, sourceHash: string): boolean {
  return contentHash(bytes) === sourceHash || recordedSourceHash(bytes) === sourceHash;
}

/**
 * Drawings have no pixel size of their own: one is rendered at most this large (sharp draws it at that
 * scale, not larger and then shrunk). At the size it declares, a 200-byte SVG of 6,000 px with a
 * turbulence filter took 96 s and 800 MB to render; this side is ample for the results page.
 */
const VECTOR_ORIGINAL_SIDE = 2048;
const VECTOR_FORMATS = new Set(['svg', 'pdf']);
/** A vector image that takes longer to draw is refused (drawn in a child process, which is killed). */
export const VECTOR_RENDER_SECONDS = 20;

/** Drawings (SVG, PDF): their original is a rendering, which is also what the model and thumbnail see. */
export function isVector(info: ImageInfo): boolean {
  return VECTOR_FORMATS.has(info.format);
}
/** A rendering that takes longer is given up (the image is skipped as not-rasterisable). */
const RASTERISE_SECONDS = 60;

/**
 * The original to store for a source image: when it is a plain raster with a matching signature, its
 * own bytes, less their metadata unless `keepMetadata` (withoutMetadata); else a PNG rendering (first
 * page or frame, upright) that records the source's sha256. Throws ImageDecodeError('not-rasterisable')
 * when no raster can be made, or, for a plain raster the stripper could not follow, what the decode
 * would say of it ('corrupt' when truncated).
 */
export async function safeOriginal(
  bytes: Uint8Array,
  info: ImageInfo,
  sourceHash: string,
  maxPixels: number,
  vectors: VectorRenderer,
  keepMetadata = false,
): Promise<SafeOriginal> {
  const raster = plainRaster(info);
  let unfollowed = false;
  if (raster !== undefined && signedFormat(bytes.subarray(0, SIGNATURE_BYTES)) === raster.signature) {
    const kept = keepMetadata ? bytes : withoutMetadata(bytes, raster.ext, sourceHash);
    // A structure the stripper does not follow could hide metadata anywhere: such a file is rendered
    // instead, as a PNG that holds only its pixels.
    if (kept !== undefined) return { ext: raster.ext, bytes: kept, rasterised: false };
    unfollowed = true;
  }
  try {
    const png = isVector(info)
      ? await vectors.render(bytes, maxPixels, VECTOR_ORIGINAL_SIDE)
      : await sharp(bytes, {
          limitInputPixels: maxPixels,
          failOn: 'warning',
          animated: false,
          autoOrient: true,
        })
          .timeout({ seconds: RASTERISE_SECONDS })
          .png()
          .toBuffer();
    return { ext: 'png', bytes: withSourceText(png, sourceHash), rasterised: true };
  } catch (err) {
    const message = (err as Error).message;
    const timedOut = /^timeout:/.test(message);
    // The stripper already found the file's structure broken, and libvips cannot draw it either: a
    // damaged file, said as the decode says one. libvips's own words vary with where its reader gave
    // up ("unable to write to target" on one run, "truncated" on the next), and two builds of the same
    // file must report the same.
    if (unfollowed && !timedOut) {
      const why = classify(err, info.format);
      throw why.reason === 'corrupt'
        ? new ImageDecodeError('corrupt', `the ${info.format.toUpperCase()} data is truncated or corrupt`)
        : why;
    }
    // sharp's timeout message counts how far it got: two builds of the same file must report the same.
    const why = timedOut ? `rendering it took longer than ${RASTERISE_SECONDS} s` : message;
    throw new ImageDecodeError(
      'not-rasterisable',
      `a ${info.format} original is not stored as it is and could not be turned into a PNG: ${why}`,
    );
  }
}
