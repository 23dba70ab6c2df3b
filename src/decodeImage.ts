import type { QueryPixels } from '../workers/searchApi';

/**
 * Query images are scaled down to this long side before they go to the worker. The model sees 224 px,
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
  if (blob.size === 0) throw new Error('the file is empty');
  let probe: ImageBitmap;
  try {
    probe = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`this browser cannot decode ${blob.type || 'this file'} as an image`);
  }
  const { width, height } = querySize(probe.width, probe.height);
  let bitmap = probe;
  if (width !== probe.width || height !== probe.height) {
    probe.close();
    bitmap = await createImageBitmap(blob, {
      imageOrientation: 'from-image',
      resizeWidth: width,
      resizeHeight: height,
      resizeQuality: 'high',
    });
  }
  try {
    const ctx = canvas2d(width, height);
    ctx.drawImage(bitmap, 0, 0);
    const image = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
    return { width, height, data: image.data };
  } finally {
    bitmap.close();
  }
}
