import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  ImageDecodeError,
  MAX_DECODE_SIDE,
  THUMBNAIL_SIZE,
  decodeImage,
  decodeImageRegion,
  makeThumbnail,
  makeThumbnailFromPixels,
  readImageInfo,
} from './decodeImage';
import { badInputs, emojiPng, shapePng } from '../testing/builderFixtures';
import { gifFrameBeyondScreen } from '../testing/imageBombs';

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ImageDecodeError);
    return (err as ImageDecodeError).reason;
  }
  return 'decoded';
}

describe('decodeImage', () => {
  it('decodes PNG with alpha to RGBA at its own size', async () => {
    const { image, format } = await decodeImage(await readFile(emojiPng('apple', '1f600.png')));
    expect(format).toBe('png');
    expect([image.width, image.height, image.data.length]).toEqual([64, 64, 64 * 64 * 4]);
    // Emoji have transparent corners: alpha must survive for preprocess to composite over white.
    expect(image.data[3]).toBe(0);
  });

  it('decodes JPEG, WebP, GIF and AVIF, and turns grey images into RGBA', async () => {
    const png = await shapePng(1, 40);
    for (const [fmt, bytes] of [
      ['jpeg', await sharp(png).jpeg().toBuffer()],
      ['webp', await sharp(png).webp().toBuffer()],
      ['gif', await sharp(png).gif().toBuffer()],
      ['heif', await sharp(png).avif().toBuffer()],
      ['png', await sharp(png).greyscale().png().toBuffer()],
    ] as const) {
      const { image, format } = await decodeImage(bytes);
      expect(format).toBe(fmt);
      expect([image.width, image.height, image.data.length]).toEqual([40, 40, 40 * 40 * 4]);
    }
  });

  it('applies EXIF orientation', async () => {
    const wide = await sharp({ create: { width: 30, height: 10, channels: 3, background: '#f00' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { image } = await decodeImage(wide);
    expect([image.width, image.height]).toEqual([10, 30]);
    expect(await readImageInfo(wide)).toMatchObject({ format: 'jpeg', width: 10, height: 30 });
  });

  it('shows a CMYK JPEG without a colour profile as Chromium does (C·K arithmetic), with one by its profile', async () => {
    const rgb = sharp({ create: { width: 48, height: 32, channels: 3, background: '#58f' } });
    const plain = await rgb.clone().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const profiled = await rgb
      .clone()
      .toColourspace('cmyk')
      .withIccProfile('cmyk')
      .jpeg({ quality: 95 })
      .toBuffer();
    // The file's samples as libvips reads them (it undoes Adobe's inversion, as Chromium assumes it).
    const samples = await sharp(plain).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer();
    const [c, m, y, k] = samples.subarray(0, 4);
    const expected = [c, m, y].map((v) => Math.floor(((255 - v) * (255 - k)) / 255));
    const viaProfile = [...(await sharp(plain).toColourspace('srgb').raw().toBuffer()).subarray(0, 3)];
    // What the builder did before: through libvips's stock profile, visibly other colours.
    expect(Math.max(...expected.map((v, i) => Math.abs(v - viaProfile[i])))).toBeGreaterThan(8);

    const { image } = await decodeImage(plain);
    expect([image.width, image.height]).toEqual([48, 32]);
    expect([...image.data.subarray(0, 4)]).toEqual([...expected, 255]);
    const region = await decodeImageRegion(plain, { x: 0.5, y: 0.5, w: 0.5, h: 0.5 });
    expect([...region.image.data.subarray(0, 4)]).toEqual([...expected, 255]);
    const thumb = await sharp(await makeThumbnail(plain))
      .raw()
      .toBuffer();
    thumb.subarray(0, 3).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(4));

    const withProfile = (await decodeImage(profiled)).image;
    const theirs = await sharp(profiled).toColourspace('srgb').raw().toBuffer();
    expect([...withProfile.data.subarray(0, 3)]).toEqual([...theirs.subarray(0, 3)]);
  });

  it('shrinks large images to MAX_DECODE_SIDE on the long side, keeping the aspect ratio', async () => {
    const big = await sharp({ create: { width: 3000, height: 1000, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    const { image } = await decodeImage(big);
    expect([image.width, image.height]).toEqual([MAX_DECODE_SIDE, Math.round(MAX_DECODE_SIDE / 3)]);
    expect(await readImageInfo(big)).toMatchObject({ width: 3000, height: 1000 });
  });

  it('takes the first frame of an animated GIF', async () => {
    const frames = Buffer.alloc(8 * 16 * 4);
    frames.fill(255); // frame 1 white, frame 2 black below
    frames.fill(0, 8 * 8 * 4);
    for (let i = 3; i < frames.length; i += 4) frames[i] = 255;
    const gif = await sharp(frames, { raw: { width: 8, height: 16, channels: 4, pageHeight: 8 } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const { image } = await decodeImage(gif);
    expect([image.width, image.height]).toEqual([8, 8]);
    expect(image.data[0]).toBeGreaterThan(200);
  });

  it('classifies each kind of bad input', async () => {
    for (const bad of await badInputs()) {
      expect(`${bad.name}: ${await reasonOf(decodeImage(bad.bytes))}`).toBe(`${bad.name}: ${bad.reason}`);
      expect(`${bad.name}: ${await reasonOf(makeThumbnail(bad.bytes))}`).toBe(`${bad.name}: ${bad.reason}`);
    }
  });

  it('says the same of a damaged file every time, however many decode at once', async () => {
    // libvips shares one error buffer across concurrent decodes, so its own words for this file vary.
    const png = await shapePng(7);
    const truncated = png.subarray(0, png.length - 40);
    const messages = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const results = await Promise.allSettled(Array.from({ length: 4 }, () => decodeImage(truncated)));
      for (const r of results) {
        expect(r.status).toBe('rejected');
        if (r.status === 'rejected') messages.add(`${r.reason.reason}: ${r.reason.message}`);
      }
    }
    expect([...messages]).toEqual(['corrupt: the PNG data is truncated or corrupt']);
  });

  it('rejects images over the pixel limit before decoding them', async () => {
    const png = await shapePng(2, 100);
    expect(await reasonOf(decodeImage(png, 100 * 100 - 1))).toBe('too-large');
    expect(await reasonOf(readImageInfo(png, 100 * 100 - 1))).toBe('too-large');
    expect(await reasonOf(decodeImage(png, 100 * 100))).toBe('decoded');
  });

  it("judges a GIF by its logical screen too, which the page's browser allocates whatever its frames", async () => {
    const gif = async (screen: [number, number]) => {
      const bytes = await sharp({ create: { width: 50, height: 40, channels: 3, background: '#c83' } })
        .gif()
        .toBuffer();
      bytes.writeUInt16LE(screen[0], 6);
      bytes.writeUInt16LE(screen[1], 8);
      return bytes;
    };
    // A screen this small is one libvips takes into account: it reports the larger of each side.
    expect(await readImageInfo(await gif([60, 10]))).toMatchObject({ width: 60, height: 40 });
    // The audit's file: a 50 × 40 frame on a 60,000² screen, which libvips reports as 50 × 40.
    const bomb = await gif([60_000, 60_000]);
    expect(await reasonOf(decodeImage(bomb))).toBe('decoded');
    await expect(readImageInfo(bomb)).rejects.toThrow(
      "60000×60000 (the GIF's screen, as a browser allocates it, is 60000×60000, its frame 50×40) exceeds the pixel limit of 100000000",
    );
    expect(await reasonOf(readImageInfo(bomb))).toBe('too-large');
    // Each side by the larger of the two: the 3,000-wide screen (which libvips, like for any side over
    // 2,048, ignores) and the frame's 40 rows.
    const wide = await gif([3000, 10]);
    expect(await reasonOf(readImageInfo(wide, 3000 * 40 - 1))).toBe('too-large');
    expect(await readImageInfo(wide, 3000 * 40)).toMatchObject({ format: 'gif', width: 50, height: 40 });
    // A first frame reaching past a 1 × 1 screen, over which a browser grows the screen, as libvips does.
    expect(await reasonOf(readImageInfo(gifFrameBeyondScreen(1, 1, 19_999, 19_999)))).toBe('too-large');
  });
});

describe('makeThumbnail', () => {
  it('makes a WebP no longer than THUMBNAIL_SIZE on its long side and never enlarges', async () => {
    const big = await sharp({ create: { width: 600, height: 300, channels: 3, background: '#0a0' } })
      .png()
      .toBuffer();
    const md = await sharp(await makeThumbnail(big)).metadata();
    expect([md.format, md.width, md.height]).toEqual(['webp', THUMBNAIL_SIZE, THUMBNAIL_SIZE / 2]);
    const small = await sharp(
      await makeThumbnail(await readFile(emojiPng('google', '1f436.png'))),
    ).metadata();
    expect([small.width, small.height, small.hasAlpha]).toEqual([64, 64, true]);
  });
});

describe('makeThumbnailFromPixels', () => {
  it('is byte for byte the thumbnail of the file, for every kind of image (a thumbnail name never gets other bytes)', async () => {
    // A rotated (EXIF 6) wide photo: the decoded pixels are upright, as the file's thumbnail is.
    const photo = await sharp({ create: { width: 1600, height: 800, channels: 3, background: '#c83' } })
      .composite([
        {
          input: Buffer.from(
            '<svg width="400" height="800"><rect width="400" height="800" fill="#14a"/></svg>',
          ),
        },
      ])
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const emoji = await readFile(emojiPng('google', '1f436.png'));
    // Drawn from the file, these came out other than from the decoded pixels: a JPEG shrunk on load even
    // below MAX_DECODE_SIDE, 16-bit samples, CMYK shrunk before the page's arithmetic.
    const detailed = sharp(emoji).resize(900, 900, { kernel: 'nearest' }).flatten({ background: '#fff' });
    const kinds = {
      photo,
      emoji,
      jpeg: await detailed.clone().jpeg().toBuffer(),
      png16: await detailed.clone().toColourspace('rgb16').png().toBuffer(),
      cmyk: await detailed.clone().toColourspace('cmyk').jpeg().toBuffer(),
    };
    for (const [kind, bytes] of Object.entries(kinds)) {
      const fromFile = await makeThumbnail(bytes);
      const fromPixels = await makeThumbnailFromPixels((await decodeImage(bytes)).image);
      expect(fromFile.equals(fromPixels), kind).toBe(true);
    }
    const md = await sharp(await makeThumbnail(photo)).metadata();
    expect([md.width, md.height]).toEqual([THUMBNAIL_SIZE / 2, THUMBNAIL_SIZE]);
  });
});
