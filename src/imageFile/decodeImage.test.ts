import { afterEach, describe, expect, it, vi } from 'vitest';
import sharp from 'sharp';
import { gifClaimingSize, pngClaimingSize } from '../../testing/builderFixtures';
import {
  avifClaimingSize,
  bmpClaimingSize,
  gifFrameBeyondScreen,
  icoClaimingSize,
  jpegBehindMetadata,
} from '../../testing/imageBombs';
import { MAX_QUERY_SIDE, decodeUpright, querySize } from './decodeImage';

describe('querySize', () => {
  it('keeps images that already fit', () => {
    expect(querySize(64, 64)).toEqual({ width: 64, height: 64 });
    expect(querySize(MAX_QUERY_SIDE, 10)).toEqual({ width: MAX_QUERY_SIDE, height: 10 });
  });

  it('scales the long side down to MAX_QUERY_SIDE, keeping the aspect ratio', () => {
    expect(querySize(4032, 3024)).toEqual({ width: MAX_QUERY_SIDE, height: 768 });
    expect(querySize(3000, 6000)).toEqual({ width: 512, height: MAX_QUERY_SIDE });
  });

  it('never produces a zero-sized side', () => {
    expect(querySize(100_000, 10)).toEqual({ width: MAX_QUERY_SIDE, height: 1 });
  });
});

describe('decodeUpright', () => {
  /** The browser's decoder, standing in for Chromium's: it records what it was given to decode. */
  const decode = vi.fn(async () => ({ width: 1, height: 1, close: () => {} }) as unknown as ImageBitmap);
  const upright = (bytes: Uint8Array) => {
    vi.stubGlobal('createImageBitmap', decode);
    return decodeUpright(new Blob([new Uint8Array(bytes)]));
  };
  afterEach(() => {
    vi.unstubAllGlobals();
    decode.mockClear();
  });

  const tooLarge =
    'the image is 20000 × 20000 px (400 megapixels): more than the 100 megapixels an image may have';

  // Each decoded with 1.5 GB in headless Chromium, past the check on the size the file declares.
  it.each([
    ['a JPEG whose frame header follows 320 KB of metadata', () => jpegBehindMetadata(20_000, 20_000)],
    ['a 64-byte run-length BMP', () => bmpClaimingSize(20_000, 20_000)],
    ['an icon whose entry is a PNG', () => icoClaimingSize(20_000, 20_000)],
    ['an AVIF', () => avifClaimingSize(20_000, 20_000)],
    ['a GIF whose first frame outgrows its 1 × 1 screen', () => gifFrameBeyondScreen(20_000, 20_000)],
    [
      'a GIF whose first frame lies far off its 1 × 1 screen',
      () => gifFrameBeyondScreen(1, 1, 19_999, 19_999),
    ],
  ])('refuses %s declaring 20,000² px, before decoding it', async (_, bomb) => {
    await expect(upright(await bomb())).rejects.toThrow(tooLarge);
    expect(decode).not.toHaveBeenCalled();
  });

  it('refuses the files it refused before', async () => {
    await expect(upright(pngClaimingSize(30_000, 30_000))).rejects.toThrow(
      '30000 × 30000 px (900 megapixels)',
    );
    await expect(upright(gifClaimingSize(16_000, 16_000))).rejects.toThrow(
      '16000 × 16000 px (256 megapixels)',
    );
    expect(decode).not.toHaveBeenCalled();
  });

  it('refuses, as damaged, a file in a format the browser decodes that declares no size', async () => {
    await expect(upright(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a]))).rejects.toThrow(
      'the JPEG data is truncated or corrupt',
    );
    expect(decode).not.toHaveBeenCalled();
  });

  it('decodes ordinary images, metadata and all', async () => {
    const photo = sharp({ create: { width: 4032, height: 3024, channels: 3, background: '#c83' } });
    const files = [
      await photo.clone().jpeg().withMetadata({ orientation: 6 }).toBuffer(),
      await jpegBehindMetadata(16, 16, { metadataSegments: 12 }),
      await photo.clone().png().toBuffer(),
      await photo.clone().webp().toBuffer(),
      await photo.clone().resize(300, 200).gif().toBuffer(),
      await photo.clone().resize(300, 200).avif().toBuffer(),
      bmpClaimingSize(640, 480),
    ];
    for (const file of files) await upright(file);
    expect(decode).toHaveBeenCalledTimes(files.length);
  });

  it('passes files in formats it does not know to the browser, which says what it cannot decode', async () => {
    decode.mockRejectedValueOnce(
      new DOMException('The source image could not be decoded.', 'InvalidStateError'),
    );
    await expect(upright(Buffer.from('this is not a PNG file'))).rejects.toThrow(
      'its contents are not an image this browser can read',
    );
  });
});
