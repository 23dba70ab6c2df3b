import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ImageRegion } from '../core/imageRegion';
import type { RgbaImage } from '../core/rgbaImage';
import { DEFAULT_MAX_PIXELS, decodeImage, decodeImageRegion } from './decodeImage';
import { SIGNATURE_BYTES, unfitToRead } from './imageSignature';

/**
 * The pixels `npm run query` searches with: the whole image file, or only `region` of it (cropped from
 * the upright full-resolution image, as the site crops it).
 */
export async function readQueryImage(path: string, region?: ImageRegion): Promise<RgbaImage> {
  const bytes = await readImageFile(path);
  return region === undefined
    ? (await decodeImage(bytes)).image
    : (await decodeImageRegion(bytes, region)).image;
}

/**
 * A query file's bytes, as the builder would read it: a regular file (a FIFO or device would be
 * waited on for ever), and a large one only when its first bytes are an image's and its size fits
 * the pixel limit.
 */
async function readImageFile(path: string): Promise<Uint8Array> {
  // Non-blocking, so that opening a FIFO returns (to be refused) instead of waiting for a writer.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${path} is not a regular file`);
    const unfit = await unfitToRead(
      info.size,
      async () => {
        const head = new Uint8Array(SIGNATURE_BYTES);
        const { bytesRead } = await handle.read(head, 0, SIGNATURE_BYTES, 0);
        return head.subarray(0, bytesRead);
      },
      DEFAULT_MAX_PIXELS,
    );
    if (unfit !== undefined) throw unfit;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
