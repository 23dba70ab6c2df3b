import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../core/rgbaImage';
import { augmentPlan, isSampled, makeViews, viewCacheKey } from './augmentedViews';
import { editImage, encodeEdited, randomEdits } from './imageEdits';

/** A 200×100 gradient with a dark frame, so borders and crops are visible in the pixels. */
function picture(): RgbaImage {
  const width = 200;
  const height = 100;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data.set([x % 256, (2 * y) % 256, 90, 255], i);
    }
  return { width, height, data };
}

const pixel = (im: RgbaImage, x: number, y: number) =>
  Array.from(im.data.subarray((y * im.width + x) * 4, (y * im.width + x) * 4 + 4));

describe('editImage', () => {
  it('crops the requested area around the centre it is given, keeping the aspect ratio', async () => {
    const out = await editImage(picture(), [{ kind: 'crop', area: 0.25, cx: 0.75, cy: 0.5 }]);
    expect([out.width, out.height]).toEqual([100, 50]);
    // Left edge of the crop is x = 100 of the source.
    expect(pixel(out, 0, 0)[0]).toBe(100);
  });

  it('shrinks to a long side, recompresses, and turns grey with equal channels', async () => {
    const small = await editImage(picture(), [{ kind: 'resize', longSide: 50 }]);
    expect([small.width, small.height]).toEqual([50, 25]);
    const jpeg = await editImage(picture(), [{ kind: 'jpeg', quality: 10 }]);
    expect([jpeg.width, jpeg.height]).toEqual([200, 100]);
    expect(jpeg.data).not.toEqual(picture().data);
    const grey = await editImage(picture(), [{ kind: 'greyscale' }]);
    for (let i = 0; i < grey.data.length; i += 4) {
      expect(grey.data[i]).toBe(grey.data[i + 1]);
      expect(grey.data[i + 1]).toBe(grey.data[i + 2]);
    }
  });

  it('darkens with brightness < 1 and rotates without leaving a white border', async () => {
    const mean = (im: RgbaImage) =>
      Array.from(im.data).reduce((s, v, i) => (i % 4 === 3 ? s : s + v), 0) / ((im.data.length * 3) / 4);
    const dark = await editImage(picture(), [
      { kind: 'colour', brightness: 0.7, contrast: 1, saturation: 1 },
    ]);
    expect(mean(dark)).toBeLessThan(mean(picture()) * 0.85);
    const turned = await editImage(picture(), [{ kind: 'rotate', degrees: 10 }]);
    expect(turned.width).toBeLessThan(200);
    for (const [x, y] of [
      [0, 0],
      [turned.width - 1, 0],
      [0, turned.height - 1],
      [turned.width - 1, turned.height - 1],
    ]) {
      expect(pixel(turned, x, y).slice(0, 3)).not.toEqual([255, 255, 255]);
    }
  });

  it('encodes the result as JPEG when the last edit is a JPEG, else PNG', async () => {
    const jpeg = await encodeEdited(picture(), [{ kind: 'greyscale' }, { kind: 'jpeg', quality: 20 }]);
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const png = await encodeEdited(picture(), [{ kind: 'greyscale' }]);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});

describe('randomEdits and the augment plan', () => {
  it('are deterministic: the same seed gives the same chain, at least two edits each', () => {
    for (let seed = 1; seed < 50; seed++) {
      expect(randomEdits(seed)).toEqual(randomEdits(seed));
      expect(randomEdits(seed).length).toBeGreaterThanOrEqual(2);
    }
    expect(randomEdits(1)).not.toEqual(randomEdits(2));
  });

  it('samples about MAX images by content hash, all of a small collection, none with 0 views', async () => {
    expect(augmentPlan(12)).toEqual({ viewsPerImage: 8, sampleRate: 1 });
    expect(augmentPlan(10_000).viewsPerImage).toBe(4);
    const plan = augmentPlan(10_000);
    const hashes = Array.from({ length: 10_000 }, (_, i) => viewCacheKey(`image-${i}`, 0));
    const picked = hashes.filter((h) => isSampled(h, plan)).length;
    expect(picked).toBeGreaterThan(300);
    expect(picked).toBeLessThan(470);
    expect(hashes.some((h) => isSampled(h, augmentPlan(10_000, 0)))).toBe(false);
    const views = await makeViews(picture(), 'ab'.repeat(32), 3);
    expect(views).toHaveLength(3);
    expect(await makeViews(picture(), 'ab'.repeat(32), 3)).toEqual(views);
  });
});
