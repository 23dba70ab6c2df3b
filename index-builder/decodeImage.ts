import sharp, { type Metadata, type Sharp } from 'sharp';
import { gifScreen } from '../core/gifScreen';
import { regionPixels, type ImageRegion, type PixelRect } from '../core/imageRegion';
import type { RgbaImage } from '../core/rgbaImage';

/**
 * Why an input file could not be used; stable strings, written into build reports. `read-failed`: the
 * listing had it but reading it failed (an I/O or network error, S3 throttling): not a fault of the
 * file, so the next build tries it again instead of calling itself up to date.
 */
export type SkipReason =
  'empty' | 'unsupported' | 'corrupt' | 'too-large' | 'unreadable' | 'read-failed' | 'not-rasterisable';

/** A file that is not a usable image. `reason` classifies it, `message` is what the decoder said. */
export class ImageDecodeError extends Error {
  constructor(
    readonly reason: SkipReason,
    message: string,
  ) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

/** Large enough for a 100-megapixel photo, small enough that a decompression bomb cannot exhaust memory. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * Decoded images are shrunk to this long side, like the site shrinks query images
 * (src/imageFile/decodeImage.ts MAX_QUERY_SIDE): models see 160–224 px, and a phone photo at full size is
 * ~48 MB of RGBA per image in flight. Far above the model's own antialiased resize.
 */
export const MAX_DECODE_SIDE = 1024;

export interface DecodedImage {
  image: RgbaImage;
  /** sharp's name of the container format, e.g. 'jpeg', 'png', 'heif'. */
  format: string;
}

/**
 * What libvips says about damaged data. Its error buffer is shared by the whole process and
 * concurrent decodes write into it as their threads go, so the same truncated PNG reads
 * "vipspng: libpng read error" in one decode and "Warning treated as error due to failOn setting"
 * in the next. Two builds of the same files must write the same report, so damage recognised here
 * gets one fixed message; anything else keeps the decoder's words.
 */
const DAMAGED =
  /corrupt|truncat|premature end|unexpected end|read error|failOn|not enough data|bad seek|invalid|bogus|unable to (parse|read)/i;

/** What a sharp error says of the file (`format`: what sharp took it for), as a reason to skip it. */
export function classify(err: unknown, format?: string): ImageDecodeError {
  const full = err instanceof Error ? err.message : String(err);
  // libvips repeats its complaints line after line; the first and last lines carry the meaning.
  const lines = full.split('\n').filter((l) => l.trim() !== '');
  const message = lines.length > 1 ? `${lines[0]} … ${lines[lines.length - 1]}` : full;
  if (/pixel limit/i.test(full)) return new ImageDecodeError('too-large', message);
  if (/unsupported image format|not a known file format/i.test(full)) {
    return new ImageDecodeError('unsupported', message);
  }
  // HEIC with HEVC and similar: sharp recognises the container but was built without the codec.
  if (/has not been built in|unsupported (codec|feature|compression)/i.test(full)) {
    return new ImageDecodeError('unsupported', message);
  }
  if (DAMAGED.test(full)) {
    const what = format ? `the ${format.toUpperCase()} data` : 'the image data';
    return new ImageDecodeError('corrupt', `${what} is truncated or corrupt`);
  }
  return new ImageDecodeError('corrupt', message);
}

function open(bytes: Uint8Array, maxPixels: number): Sharp {
  if (bytes.length === 0) throw new ImageDecodeError('empty', 'file is empty (0 bytes)');
  // failOn 'warning' rejects truncated files instead of silently returning grey padding.
  return sharp(bytes, { limitInputPixels: maxPixels, failOn: 'warning', animated: false, autoOrient: true });
}

/**
 * Decodes any image sharp can read (JPEG, PNG, WebP, GIF first frame, AVIF, TIFF, …) to RGBA8,
 * upright according to its EXIF orientation, long side at most `maxSide`. Throws ImageDecodeError
 * for anything unusable.
 */
export async function decodeImage(
  bytes: Uint8Array,
  maxPixels = DEFAULT_MAX_PIXELS,
  maxSide = MAX_DECODE_SIDE,
): Promise<DecodedImage> {
  const pipeline = open(bytes, maxPixels);
  let format: string | undefined;
  try {
    const metadata = await pipeline.metadata();
    format = metadata.format;
    pipeline.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true });
    return { image: await pixelsOf(pipeline, pageColours(metadata)), format: format ?? 'unknown' };
  } catch (err) {
    throw err instanceof ImageDecodeError ? err : classify(err, format);
  }
}

/**
 * How the page's decoder turns a file's samples into RGB where libvips does otherwise. Chromium shows a
 * CMYK JPEG without a colour profile by plain arithmetic on its samples, which it takes as Adobe's
 * inverted CMYK (as libvips does); libvips converts through a stock CMYK profile instead, so the builder
 * and the page embedded the same file to a cosine of only 0.9945 (a photo) to 0.9991 (an emoji). With a
 * profile both apply it and agree to 0.998. Thumbnails follow, so they show what the page shows.
 */
type PageColours = 'libvips' | 'cmyk-arithmetic';

function pageColours(metadata: Metadata): PageColours {
  return metadata.format === 'jpeg' && metadata.space === 'cmyk' && !metadata.hasProfile
    ? 'cmyk-arithmetic'
    : 'libvips';
}

/** The pipeline's pixels as RGBA8, converted as the page's decoder would (`colours`). */
async function pixelsOf(pipeline: Sharp, colours: PageColours): Promise<RgbaImage> {
  if (colours === 'libvips') return toRgba(pipeline);
  // Shrunk in CMYK before the arithmetic (the page converts first, then shrinks): a 100-megapixel file
  // is not held at full size, and the e2e test finds the two orders agree to a cosine of 0.9999.
  const { data, info } = await pipeline
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`decoder produced ${info.channels} CMYK channels, expected 4`);
  const out = new Uint8Array(info.width * info.height * 4);
  // libvips has undone the inversion; Chromium's RGB is the inverted C·K / 255 (M·K, Y·K), rounded down.
  for (let p = 0; p < out.length; p += 4) {
    const k = 255 - data[p + 3];
    for (let c = 0; c < 3; c++) out[p + c] = Math.floor(((255 - data[p + c]) * k) / 255);
    out[p + 3] = 255;
  }
  return { width: info.width, height: info.height, data: out };
}

/** The pipeline's output as sRGB RGBA8, whatever the source's channels (grey, CMYK, no alpha). */
export async function toRgba(pipeline: Sharp): Promise<RgbaImage> {
  // Grey and CMYK sources would otherwise come out with 2 or 5 channels.
  const { data, info } = await pipeline
    .toColourspace('srgb')
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`decoder produced ${info.channels} channels, expected RGBA`);
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * Decodes `region` of an image, as the site does for a region search (src/imageFile/decodeImage.ts
 * decodeImageRegion): the crop is core/imageRegion.ts regionPixels() of the upright image at full
 * resolution, shrunk afterwards to `maxSide` on the long side. `rect` is the crop in source pixels.
 */
export async function decodeImageRegion(
  bytes: Uint8Array,
  region: ImageRegion,
  maxPixels = DEFAULT_MAX_PIXELS,
  maxSide = MAX_DECODE_SIDE,
): Promise<DecodedImage & { rect: PixelRect }> {
  const { width, height, format } = await readImageInfo(bytes, maxPixels);
  const rect = regionPixels(region, width, height);
  try {
    const colours = pageColours(await open(bytes, maxPixels).metadata());
    // autoOrient is applied first, so extract() takes upright coordinates, like the browser's bitmap.
    const pipeline = open(bytes, maxPixels)
      .extract(rect)
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true });
    return { image: await pixelsOf(pipeline, colours), format, rect };
  } catch (err) {
    throw err instanceof ImageDecodeError ? err : classify(err, format);
  }
}

export interface ImageInfo {
  format: string;
  /** heif only: 'av1' (AVIF) or 'hevc' (HEIC). */
  compression?: string;
  /** Upright size, after EXIF orientation. */
  width: number;
  height: number;
}

/** Reads only the header: format and upright size. Cheap; does not prove the pixel data is intact. */
export async function readImageInfo(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageInfo> {
  try {
    const md = await open(bytes, maxPixels).metadata();
    const width = md.autoOrient?.width ?? md.width;
    const height = md.autoOrient?.height ?? md.height;
    if (!width || !height) throw new ImageDecodeError('corrupt', 'image header has no size');
    // libvips gives a GIF's frames, the page's browser allocates its logical screen grown to cover the
    // first frame (core/gifScreen.ts): each side is judged by the larger of the two, so the builder
    // refuses what the page would.
    const screen = md.format === 'gif' ? gifScreen(bytes) : undefined;
    const [w, h] = [Math.max(width, screen?.width ?? 0), Math.max(height, screen?.height ?? 0)];
    if (w * h > maxPixels) {
      const why =
        screen !== undefined && (w !== width || h !== height)
          ? ` (the GIF's screen, as a browser allocates it, is ${screen.width}×${screen.height}, its frame ${width}×${height})`
          : '';
      throw new ImageDecodeError('too-large', `${w}×${h}${why} exceeds the pixel limit of ${maxPixels}`);
    }
    return { format: md.format ?? 'unknown', compression: md.compression, width, height };
  } catch (err) {
    throw err instanceof ImageDecodeError ? err : classify(err);
  }
}

/** The long side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 256;

function thumbnailOf(pipeline: Sharp): Promise<Buffer> {
  return pipeline
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80, alphaQuality: 90, effort: 4 })
    .toBuffer();
}

/**
 * A WebP thumbnail whose long side is at most THUMBNAIL_SIZE (smaller images keep their size), drawn from
 * decodeImage's pixels exactly as makeThumbnailFromPixels draws the thumbnail of an image being
 * featurized. A thumbnail's name covers only its image's content (storage/dataDirNames.ts), so whether
 * the embedding was cached must not change its bytes. Drawn from the file (JPEG shrink-on-load, 16-bit
 * samples resized before the cut to 8 bits, CMYK shrunk before the page's arithmetic) they differed for
 * most photos, and a warm cache, a worker's cache or a repaired thumbnail put other bytes under a name
 * that deploy serves as immutable. Decoding to MAX_DECODE_SIDE costs more than a shrink-on-load, but only
 * here, where the embedding is cached and the thumbnail missing; the featurize path decodes once.
 */
export async function makeThumbnail(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<Buffer> {
  return makeThumbnailFromPixels((await decodeImage(bytes, maxPixels)).image);
}

/**
 * The thumbnail of pixels decodeImage made (upright sRGB, long side ≤ MAX_DECODE_SIDE, far above
 * THUMBNAIL_SIZE): the one way every thumbnail is drawn (makeThumbnail decodes first), so the featurize
 * path draws it without decoding the file a second time.
 */
export function makeThumbnailFromPixels(image: RgbaImage): Promise<Buffer> {
  const { width, height, data } = image;
  return thumbnailOf(sharp(data, { raw: { width, height, channels: 4 } }));
}
