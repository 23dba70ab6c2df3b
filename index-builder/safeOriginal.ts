import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { contentHash } from './contentAddress';
import { ImageDecodeError, type ImageInfo } from './decodeImage';
import { SIGNATURE_BYTES, signedFormat, type SignedFormat } from './imageSignature';
import type { VectorRenderer } from './vectorRenderer';

/*
 * Originals are served from the app's own origin, so none may be active content: an SVG (script,
 * links, foreignObject), a PDF or anything a browser might sniff as a document would run with the
 * site's privileges when opened. Only plain raster formats that browsers display, and whose bytes
 * start with that format's own signature, are stored as they are; everything else is rasterised to
 * PNG (librsvg and the other libvips loaders never run scripts), or refused.
 */

/** What the data dir stores as `originals/<hash16>.<ext>`. */
export interface SafeOriginal {
  ext: string;
  bytes: Uint8Array;
  /** True when `bytes` is a PNG rendering of the source, not the source itself. */
  rasterised: boolean;
}

const ascii = (bytes: Uint8Array, at: number, length: number) =>
  Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.max(0, Math.min(length, bytes.length - at))).toString(
    'latin1',
  );

/** Extension and signature of the raster formats stored unchanged, by sharp's format name. */
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

/** PNG text keyword naming the sha256 of the source a rasterised original was made from. */
const SOURCE_HASH_KEYWORD = 'lookalike-source-sha256';

/** Inserts a tEXt chunk right after IHDR (which is always 8 + 25 bytes into a PNG). */
function withTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array {
  const data = Buffer.from(`${keyword}\0${text}`, 'latin1');
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const at = 8 + 25;
  return Buffer.concat([png.subarray(0, at), chunk, png.subarray(at)]);
}

/** The source hash a rasterised original carries, if it is one. */
export function rasterisedSourceHash(bytes: Uint8Array): string | undefined {
  const at = 8 + 25;
  if (signedFormat(bytes.subarray(0, 8)) !== 'png' || ascii(bytes, at + 4, 4) !== 'tEXt') {
    return undefined;
  }
  const length = Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32BE(at);
  const [keyword, text] = ascii(bytes, at + 8, length).split('\0');
  return keyword === SOURCE_HASH_KEYWORD ? text : undefined;
}

/** True if `bytes` is the stored original of the source with this sha256 (itself, or its PNG). */
export function isOriginalOf(bytes: Uint8Array, sourceHash: string): boolean {
  return contentHash(bytes) === sourceHash || rasterisedSourceHash(bytes) === sourceHash;
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
 * The original to store for a source image: its own bytes when it is a plain raster with a matching
 * signature, else a PNG rendering (first page or frame, upright) that records the source's sha256.
 * Throws ImageDecodeError('not-rasterisable') when no raster can be made.
 */
export async function safeOriginal(
  bytes: Uint8Array,
  info: ImageInfo,
  sourceHash: string,
  maxPixels: number,
  vectors: VectorRenderer,
): Promise<SafeOriginal> {
  const raster = plainRaster(info);
  if (raster !== undefined && signedFormat(bytes.subarray(0, SIGNATURE_BYTES)) === raster.signature)
    return { ext: raster.ext, bytes, rasterised: false };
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
    return { ext: 'png', bytes: withTextChunk(png, SOURCE_HASH_KEYWORD, sourceHash), rasterised: true };
  } catch (err) {
    const message = (err as Error).message;
    // sharp's timeout message counts how far it got: two builds of the same file must report the same.
    const why = /^timeout:/.test(message) ? `rendering it took longer than ${RASTERISE_SECONDS} s` : message;
    throw new ImageDecodeError(
      'not-rasterisable',
      `a ${info.format} original is not stored as it is and could not be turned into a PNG: ${why}`,
    );
  }
}
