import { readFile } from 'node:fs/promises';
import type { ImageRegion } from '../core/imageRegion';
import type { RgbaImage } from '../core/rgbaImage';
import { decodeImage, decodeImageRegion } from './decodeImage';

/**
 * The pixels `npm run query` searches with: the whole image file, or only `region` of it (cropped from
 * the upright full-resolution image, as the site crops it).
 */
export async function readQueryImage(path: string, region?: ImageRegion): Promise<RgbaImage> {
  const bytes = await readFile(path);
  return region === undefined
    ? (await decodeImage(bytes)).image
    : (await decodeImageRegion(bytes, region)).image;
}
