import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbaImage } from '../core/rgbaImage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageRegion } from './decodeImage';
import { readQueryImage } from './queryImage';

/** 40×20 RGB: left half red, right half blue, stored sideways (EXIF orientation 6: upright it is 20×40). */
async function sidewaysJpeg(): Promise<Buffer> {
  const [w, h] = [40, 20];
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[(y * w + x) * 3 + (x < w / 2 ? 0 : 2)] = 255;
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toBuffer();
}

const pixel = (data: RgbaImage['data'], width: number, x: number, y: number) =>
  Array.from(data.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'query-image-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('decodeImageRegion', () => {
  it('crops in upright coordinates, at full resolution', async () => {
    const bytes = await sidewaysJpeg();
    // Upright the image is 20 wide, 40 tall: red on top, blue below (orientation 6 turns it clockwise).
    const top = await decodeImageRegion(bytes, { x: 0, y: 0, w: 1, h: 0.4 });
    expect(top.rect).toEqual({ left: 0, top: 0, width: 20, height: 16 });
    expect(top.image).toMatchObject({ width: 20, height: 16 });
    const [r, , b] = pixel(top.image.data, 20, 10, 8);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(50);
    const bottom = await decodeImageRegion(bytes, { x: 0, y: 0.6, w: 1, h: 0.4 });
    expect(bottom.rect).toEqual({ left: 0, top: 24, width: 20, height: 16 });
    const [r2, , b2] = pixel(bottom.image.data, 20, 10, 8);
    expect(r2).toBeLessThan(50);
    expect(b2).toBeGreaterThan(200);
  });

  it('shrinks a large crop to the query size after cropping', async () => {
    const big = await sharp({
      create: { width: 3000, height: 1000, channels: 3, background: { r: 0, g: 128, b: 0 } },
    })
      .png()
      .toBuffer();
    const { rect, image } = await decodeImageRegion(big, { x: 0, y: 0, w: 0.8, h: 1 });
    expect(rect).toEqual({ left: 0, top: 0, width: 2400, height: 1000 });
    expect(image).toMatchObject({ width: 1024, height: 427 });
  });

  it('reports an undecodable file as such', async () => {
    await expect(decodeImageRegion(Buffer.from('no pixels'), { x: 0, y: 0, w: 0.5, h: 0.5 })).rejects.toThrow(
      /unsupported image format/,
    );
  });
});

describe('readQueryImage', () => {
  it('reads the whole image without a region and the crop with one', async () => {
    const path = join(dir, 'sideways.jpg');
    await writeFile(path, await sidewaysJpeg());
    expect(await readQueryImage(path)).toMatchObject({ width: 20, height: 40 });
    expect(await readQueryImage(path, { x: 0.5, y: 0.5, w: 0.5, h: 0.5 })).toMatchObject({
      width: 16,
      height: 20,
    });
  });

  it('refuses what is not a regular file, and a large non-image without reading it', async () => {
    const fifo = join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    await expect(readQueryImage(fifo)).rejects.toThrow(/pipe\.png is not a regular file/);
    await expect(readQueryImage(dir)).rejects.toThrow(/is not a regular file|EISDIR/);
    // Sparse: 40 MB on paper, nothing on disk. Read whole, it would have taken 40 MB of memory.
    const movie = join(dir, 'movie.png');
    await writeFile(movie, Buffer.from('\x00\x00\x00\x18ftypmp42', 'latin1'));
    await truncate(movie, 40 * 2 ** 20);
    await expect(readQueryImage(movie)).rejects.toThrow(
      /40 MB and no image format by its first bytes; not read/,
    );
    const huge = join(dir, 'huge.png');
    await writeFile(huge, '');
    await truncate(huge, 900 * 2 ** 20);
    await expect(readQueryImage(huge)).rejects.toThrow(
      /900 MB: more than an image of 100000000 pixels takes/,
    );
  });
});
