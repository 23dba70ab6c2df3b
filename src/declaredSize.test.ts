import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { gifClaimingSize, pngClaimingSize } from '../testing/builderFixtures';
import { declaredSize } from './declaredSize';

const image = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: { r: 200, g: 80, b: 0, alpha: 0.5 } } });

describe('declaredSize', () => {
  it.each([
    ['png', 'PNG', (s: Sharp) => s.png()],
    ['gif', 'GIF', (s: Sharp) => s.gif()],
    ['jpeg', 'JPEG', (s: Sharp) => s.jpeg()],
    [
      'progressive jpeg with EXIF',
      'JPEG',
      (s: Sharp) => s.jpeg({ progressive: true }).withMetadata({ orientation: 6 }),
    ],
    ['lossy webp', 'WebP', (s: Sharp) => s.webp()],
    ['lossless webp', 'WebP', (s: Sharp) => s.webp({ lossless: true })],
  ])('reads the size of a %s', async (_, format, encode) => {
    expect(declaredSize(await encode(image(123, 45)).toBuffer())).toEqual({ width: 123, height: 45, format });
  });

  it('reads the size of a webp with alpha (extended header)', async () => {
    expect(declaredSize(await image(77, 300, 4).webp().toBuffer())).toEqual({
      width: 77,
      height: 300,
      format: 'WebP',
    });
  });

  it("reads a header's size without its pixels (a file too large to decode)", () => {
    const png = pngClaimingSize(30_000, 30_000);
    expect(declaredSize(png)).toEqual({ width: 30_000, height: 30_000, format: 'PNG' });
    // A 35-byte GIF: a 1 × 1 frame on a 16,000² logical screen, which the browser allocates.
    expect(declaredSize(gifClaimingSize(16_000, 16_000))).toEqual({
      width: 16_000,
      height: 16_000,
      format: 'GIF',
    });
  });

  it('knows nothing of other or cut-short files', () => {
    expect(declaredSize(Buffer.from('this is not a PNG file'))).toBeUndefined();
    expect(declaredSize(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00]))).toBeUndefined();
    expect(declaredSize(new Uint8Array(0))).toBeUndefined();
  });
});
