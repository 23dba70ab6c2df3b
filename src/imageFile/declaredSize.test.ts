import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { gifClaimingSize, pngClaimingSize } from '../../testing/builderFixtures';
import {
  avifClaimingSize,
  bmpClaimingSize,
  gifFrameBeyondScreen,
  icoClaimingSize,
  icoOf,
  jpegBehindMetadata,
} from '../../testing/imageBombs';
import { declaredSize } from './declaredSize';

const image = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: { r: 200, g: 80, b: 0, alpha: 0.5 } } });

const of = (bytes: Uint8Array) => declaredSize(new Blob([new Uint8Array(bytes)]));

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
    ['avif', 'AVIF', (s: Sharp) => s.avif()],
  ])('reads the size of a %s', async (_, format, encode) => {
    expect(await of(await encode(image(123, 45)).toBuffer())).toEqual({
      format,
      size: { width: 123, height: 45 },
    });
  });

  it('reads the size of a webp with alpha (extended header)', async () => {
    expect(await of(await image(77, 300, 4).webp().toBuffer())).toEqual({
      format: 'WebP',
      size: { width: 77, height: 300 },
    });
  });

  it("reads a header's size without its pixels (a file too large to decode)", async () => {
    expect(await of(pngClaimingSize(30_000, 30_000))).toEqual({
      format: 'PNG',
      size: { width: 30_000, height: 30_000 },
    });
    // A 35-byte GIF: a 1 × 1 frame on a 16,000² logical screen, which the browser allocates.
    expect(await of(gifClaimingSize(16_000, 16_000))).toEqual({
      format: 'GIF',
      size: { width: 16_000, height: 16_000 },
    });
  });

  it('walks a JPEG to its frame header past any amount of metadata', async () => {
    // The audit's: 320 KB of APPn segments, past the 256 KB once read, before a 20,000² frame.
    const bomb = await jpegBehindMetadata(20_000, 20_000);
    expect(bomb.length).toBeGreaterThan(320_000);
    expect(await of(bomb)).toEqual({ format: 'JPEG', size: { width: 20_000, height: 20_000 } });
    // Bytes between segments, which libjpeg skips and decodes on, do not stop the walk either.
    expect(
      await of(await jpegBehindMetadata(20_000, 20_000, { metadataSegments: 1, extraneous: 3 })),
    ).toEqual({
      format: 'JPEG',
      size: { width: 20_000, height: 20_000 },
    });
    // A photo with as much metadata is read as it is.
    expect(await of(await jpegBehindMetadata(16, 16, { metadataSegments: 40 }))).toEqual({
      format: 'JPEG',
      size: { width: 16, height: 16 },
    });
  });

  it("reads a BMP's size, whichever way its rows run", async () => {
    expect(await of(bmpClaimingSize(20_000, 20_000))).toEqual({
      format: 'BMP',
      size: { width: 20_000, height: 20_000 },
    });
    expect(await of(bmpClaimingSize(64, 48, true))).toEqual({
      format: 'BMP',
      size: { width: 64, height: 48 },
    });
    // An OS/2 1.x header: 16-bit sides.
    const core = Buffer.alloc(26);
    core.write('BM', 0, 'latin1');
    core.writeUInt32LE(12, 14);
    core.writeUInt16LE(300, 18);
    core.writeUInt16LE(200, 20);
    expect(await of(core)).toEqual({ format: 'BMP', size: { width: 300, height: 200 } });
  });

  it("judges an icon by the largest size any entry declares, its data's header included", async () => {
    expect(await of(icoClaimingSize(20_000, 20_000))).toEqual({
      format: 'ICO',
      size: { width: 20_000, height: 20_000 },
    });
    // A DIB entry's height counts its transparency mask too.
    const dib = bmpClaimingSize(48, 2 * 48).subarray(14);
    expect(await of(icoOf([dib, await image(16, 16).png().toBuffer()], 2))).toEqual({
      format: 'CUR',
      size: { width: 48, height: 48 },
    });
    // Entries listed as 32 × 32 whose data is smaller.
    expect(await of(icoOf([await image(16, 16).png().toBuffer()]))).toEqual({
      format: 'ICO',
      size: { width: 32, height: 32 },
    });
  });

  it("reads an AVIF's declared size wherever its metadata lies", async () => {
    expect(await of(await avifClaimingSize(20_000, 20_000))).toEqual({
      format: 'AVIF',
      size: { width: 20_000, height: 20_000 },
    });
    expect(await of(await avifClaimingSize(20_000, 20_000, { metaLast: true, padding: 1_000_000 }))).toEqual({
      format: 'AVIF',
      size: { width: 20_000, height: 20_000 },
    });
  });

  it('judges a GIF by its screen grown to cover the first frame, however far into the file', async () => {
    const giant = { format: 'GIF', size: { width: 20_000, height: 20_000 } };
    expect(await of(gifFrameBeyondScreen(20_000, 20_000))).toEqual(giant);
    expect(await of(gifFrameBeyondScreen(1, 1, 19_999, 19_999))).toEqual(giant);
    expect(await of(gifFrameBeyondScreen(20_000, 20_000, 0, 0, 1_000_000))).toEqual(giant);
  });

  it('knows the format, but no size, of a file cut short before its size', async () => {
    expect(await of(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00]))).toEqual({ format: 'JPEG' });
    const jpeg = await jpegBehindMetadata(16, 16);
    expect(await of(jpeg.subarray(0, 200_000))).toEqual({ format: 'JPEG' });
    expect(await of(pngClaimingSize(1, 1).subarray(0, 20))).toEqual({ format: 'PNG' });
    expect(await of(Buffer.from('BM'))).toEqual({ format: 'BMP' });
    expect(await of(icoOf([]))).toEqual({ format: 'ICO' });
  });

  it('knows nothing of other files', async () => {
    expect(await of(Buffer.from('this is not a PNG file'))).toBeUndefined();
    expect(await of(new Uint8Array(0))).toBeUndefined();
  });
});
