import { regionPixels, type ImageRegion, type PixelRect } from '../../core/imageRegion';
import type { QueryPixels } from '../../workers/searchApi';
import { declaredSize } from './declaredSize';

/**
 * An image may have at most this many pixels, as in `npm run build-index` and `npm run query` (the
 * builder's default --max-pixels): checked on the size the file declares, before decoding, since a
 * 38-byte WebP declaring 16,383² px took Chromium 5 s and 1.6 GB to decode.
 */
const MAX_PIXELS = 100_000_000;

/**
 * Query images are scaled down to this long side before they go to the worker. Models see 160–224 px,
 * and preprocessing cost and the transferred buffer grow with the pixel count (a phone photo is ~48 MB
 * of RGBA); 1024 px keeps the browser's downscale far above the model's own antialiased resize.
 */
export const MAX_QUERY_SIDE = 1024;

/** Fits width×height into MAX_QUERY_SIDE on the long side, keeping the aspect ratio. */
export function querySize(width: number, height: number): { width: number; height: number } {
  const long = Math.max(width, height);
  if (long <= MAX_QUERY_SIDE) return { width, height };
  const s = MAX_QUERY_SIDE / long;
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

function canvas2d(
  width: number,
  height: number,
): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  if (typeof OffscreenCanvas !== 'undefined') {
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (ctx) return ctx;
  }
  const el = document.createElement('canvas');
  el.width = width;
  el.height = height;
  const ctx = el.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser cannot create a 2D canvas to read image pixels');
  return ctx;
}

/**
 * Decodes an image file on the page into RGBA pixels for the worker: EXIF orientation applied, converted
 * to sRGB, unpremultiplied, long side at most MAX_QUERY_SIDE. Throws a readable Error for anything the
 * browser cannot decode.
 */
export async function decodeImage(blob: Blob): Promise<QueryPixels> {
  const full = await decodeUpright(blob);
  try {
    return await pixelsOf(full, { left: 0, top: 0, width: full.width, height: full.height });
  } finally {
    full.close();
  }
}

/**
 * `rect` of a decoded bitmap, shrunk to MAX_QUERY_SIDE when larger. The bitmap is resized, not the file
 * decoded again at the smaller size: for a 12-megapixel phone photo in Chromium that second decode took
 * 130–150 ms and the resize 17–21 ms (December 2026).
 */
async function pixelsOf(full: ImageBitmap, rect: PixelRect): Promise<QueryPixels> {
  const size = querySize(rect.width, rect.height);
  const fits = size.width === rect.width && size.height === rect.height;
  const whole = rect.left === 0 && rect.top === 0 && rect.width === full.width && rect.height === full.height;
  if (whole && fits) return readPixels(full);
  // A part is cut on a canvas: createImageBitmap(bitmap, sx, sy, sw, sh) cut the wrong area of a bitmap
  // decoded upright from EXIF orientation 6 or 8, portrait phone photos (Chromium 150, December 2026).
  const part = whole ? null : drawn(full, rect);
  // Resizing only when the crop is too large keeps small crops pixel-exact, as in Node.
  if (part !== null && fits) return pixelsIn(part);
  const small = await createImageBitmap(part?.canvas ?? full, {
    resizeWidth: size.width,
    resizeHeight: size.height,
    resizeQuality: 'high',
  });
  try {
    return readPixels(small);
  } finally {
    small.close();
  }
}

/** `rect` of a bitmap, drawn on a canvas of its own. */
function drawn(
  bitmap: ImageBitmap,
  rect: PixelRect,
): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  const ctx = canvas2d(rect.width, rect.height);
  ctx.drawImage(bitmap, rect.left, rect.top, rect.width, rect.height, 0, 0, rect.width, rect.height);
  return ctx;
}

/**
 * The whole image at full resolution, upright (EXIF orientation applied). Throws a readable Error for
 * anything the browser cannot decode.
 */
export async function decodeUpright(blob: Blob): Promise<ImageBitmap> {
  if (blob.size === 0) throw new Error('the file is empty');
  // A page is not a drawing, whatever its first element (isSvg reads the bytes): refused by its type.
  if (/^(text\/html|application\/xhtml\+xml)\b/i.test(blob.type))
    throw new Error('it is a web page (HTML), not an image');
  const declared = await declaredSize(blob);
  if (declared === undefined && (await isSvg(blob))) return drawSvg(blob);
  // Said as `npm run query` says it of a damaged file.
  const corrupt = (format: string, cause?: unknown) =>
    new Error(`the ${format} data is truncated or corrupt`, { cause });
  // A file in a format the browser sniffs, with no size where its decoder looks for one, is refused
  // too: the decoder would fail on it, unless it reads the file otherwise than declaredSize does, which
  // is how a bomb would get past the check. Files in other formats go to the browser unchecked, as
  // Chromium decodes none (declaredSize.ts); refusing them would refuse what other browsers read.
  if (declared !== undefined && declared.size === undefined) throw corrupt(declared.format);
  const size = declared?.size;
  if (size !== undefined && size.width * size.height > MAX_PIXELS) {
    const megapixels = Math.round((size.width * size.height) / 1e6);
    throw new Error(
      `the image is ${size.width} × ${size.height} px (${megapixels} megapixels): more than the ${MAX_PIXELS / 1e6} megapixels an image may have`,
    );
  }
  try {
    return await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (err) {
    // HEIF is only Safari's: elsewhere a whole file is one this browser cannot decode.
    if (declared !== undefined && declared.format !== 'HEIF') throw corrupt(declared.format, err);
    if (declared !== undefined)
      throw new Error(`this browser cannot decode ${declared.format} images`, { cause: err });
    // No format we know by its first bytes, and none the browser reads: the name (notes.jpg) or the
    // type it gives (image/jpeg) says nothing about what the file holds.
    throw new Error('its contents are not an image this browser can read', { cause: err });
  }
}

/** An SVG file, by its type or, as the builder tells one (librsvg), by an <svg> element near its start. */
async function isSvg(blob: Blob): Promise<boolean> {
  if (blob.type === 'image/svg+xml') return true;
  const head = await blob.slice(0, 4096).text();
  return /^\uFEFF?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(head);
}

/**
 * A drawing, drawn at MAX_QUERY_SIDE on its long side, as the builder draws the collection's (its
 * rendering is what the model sees there too). createImageBitmap refuses SVG files in Chromium; an
 * <img> draws one as an image: no script runs and nothing is fetched. Transparent where the drawing is,
 * as in the builder's rendering.
 */
async function drawSvg(blob: Blob): Promise<ImageBitmap> {
  // A file picked without a type (no .svg in its name) is drawn only when its URL says it is SVG.
  const url = URL.createObjectURL(new Blob([blob], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    try {
      await img.decode();
    } catch (err) {
      throw new Error('the SVG drawing cannot be read: it is damaged or not SVG', { cause: err });
    }
    // A drawing without a size of its own (a viewBox alone) is drawn square.
    const [w, h] =
      img.naturalWidth > 0 && img.naturalHeight > 0 ? [img.naturalWidth, img.naturalHeight] : [1, 1];
    const scale = MAX_QUERY_SIDE / Math.max(w, h);
    const width = Math.max(1, Math.round(w * scale));
    const height = Math.max(1, Math.round(h * scale));
    const ctx = canvas2d(width, height);
    ctx.drawImage(img, 0, 0, width, height);
    return await createImageBitmap(ctx.canvas);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A bitmap's pixels as unpremultiplied sRGB RGBA. */
function readPixels(bitmap: ImageBitmap): QueryPixels {
  return pixelsIn(drawn(bitmap, { left: 0, top: 0, width: bitmap.width, height: bitmap.height }));
}

/** What a canvas holds, as unpremultiplied sRGB RGBA. */
function pixelsIn(ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D): QueryPixels {
  const { width, height } = ctx.canvas;
  const image = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
  return { width, height, data: image.data };
}

/** A region of an image, decoded for a search: its pixels, and where they lie in the source. */
export interface RegionPixels {
  pixels: QueryPixels;
  /** The crop in source pixels (core/imageRegion.ts regionPixels of the upright image). */
  rect: PixelRect;
  /** The upright source's size. */
  sourceWidth: number;
  sourceHeight: number;
}

/**
 * `region` of an upright image (decodeUpright), as `npm run query --region` takes it
 * (index-builder/decodeImage.ts decodeImageRegion): cut at full resolution, then shrunk to
 * MAX_QUERY_SIDE like any query image. The bitmap stays open: the next box is cut from it too.
 */
export async function regionOf(full: ImageBitmap, region: ImageRegion): Promise<RegionPixels> {
  const rect = regionPixels(region, full.width, full.height);
  return { pixels: await pixelsOf(full, rect), rect, sourceWidth: full.width, sourceHeight: full.height };
}
