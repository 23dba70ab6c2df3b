import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from './buildIndex';
import { contentHash } from './contentAddress';
import { ImageDecodeError, readImageInfo } from './decodeImage';
import { phonePhoto, shapePng } from '../testing/builderFixtures';
import { SCRIPTED_SVG } from '../testing/scriptedSvg';
import { FolderSource } from './folderSource';
import { loadModel } from './loadModel';
import { VECTOR_RENDER_SECONDS, isOriginalOf, safeOriginal } from './safeOriginal';
import { originalName } from '../storage/dataDirNames';
import { RenderTimeoutError, VectorRenderer } from './vectorRenderer';
import { verifyDataDir } from '../testing/dataDirChecks';
import { recordedSourceHash, storedOriginalName } from '../storage/storedOriginal';

const vectors = new VectorRenderer(VECTOR_RENDER_SECONDS);
afterAll(() => vectors.close());

async function original(bytes: Uint8Array, keepMetadata = false) {
  const info = await readImageInfo(bytes);
  return safeOriginal(bytes, info, contentHash(bytes), 1e8, vectors, keepMetadata);
}

/** An SVG of a few hundred bytes whose `filters` stacked filters draw for about a second each. */
function stackedFilters(filters: number): Buffer {
  const primitives = Array.from(
    { length: filters },
    (_, i) =>
      `<feTurbulence type="fractalNoise" baseFrequency="0.0${(i % 9) + 1}" numOctaves="10" result="t${i}"/>` +
      `<feGaussianBlur in="t${i}" stdDeviation="50"/>`,
  ).join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="2048" height="2048"><filter id="f" x="0" y="0" width="1" height="1">${primitives}</filter><rect width="100%" height="100%" filter="url(#f)"/></svg>`,
  );
}

describe('safeOriginal', () => {
  it('keeps plain rasters that carry no metadata byte for byte', async () => {
    const png = await shapePng(1, 32);
    const jpeg = await sharp(png).jpeg().toBuffer();
    const webp = await sharp(png).webp().toBuffer();
    const gif = await sharp(png).gif().toBuffer();
    for (const [bytes, ext] of [
      [png, 'png'],
      [jpeg, 'jpg'],
      [webp, 'webp'],
      [gif, 'gif'],
    ] as const) {
      const o = await original(bytes);
      expect([o.ext, o.rasterised, Buffer.from(o.bytes).equals(bytes)]).toEqual([ext, false, true]);
    }
  });

  it('stores a photo without its metadata, pixels and orientation unchanged; as it is when the build keeps metadata', async () => {
    const photo = await phonePhoto(12);
    const o = await original(photo);
    expect([o.ext, o.rasterised]).toEqual(['jpg', false]);
    const stored = Buffer.from(o.bytes);
    expect([stored.includes('Jane Doe'), stored.includes('home address')]).toEqual([false, false]);
    const [before, after] = await Promise.all([sharp(photo).metadata(), sharp(stored).metadata()]);
    expect([after.orientation, after.icc]).toEqual([6, before.icc]);
    expect((await sharp(stored).raw().toBuffer()).equals(await sharp(photo).raw().toBuffer())).toBe(true);
    // Still recognised as the original of its source (mergeShards.ts, dataDirChecks.ts).
    expect(isOriginalOf(stored, contentHash(photo))).toBe(true);
    expect(isOriginalOf(stored, contentHash(Buffer.from('other')))).toBe(false);

    const kept = await original(photo, true);
    expect([kept.ext, kept.rasterised, Buffer.from(kept.bytes).equals(photo)]).toEqual(['jpg', false, true]);
  });

  it('renders a plain raster whose structure it does not follow as a PNG: metadata could hide anywhere in it', async () => {
    const photo = await phonePhoto(13);
    // An EXIF segment whose first directory claims more entries than the segment holds.
    const broken = Buffer.from('\xff\xe1\x00\x1aExif\0\0MM\0\x2a\0\0\0\x08\0\x09Jane Doe', 'latin1');
    const bytes = Buffer.concat([photo.subarray(0, 2), broken, photo.subarray(2)]);
    const o = await original(bytes);
    expect([o.ext, o.rasterised]).toEqual(['png', true]);
    expect(Buffer.from(o.bytes).includes('Jane Doe')).toBe(false);
    expect(recordedSourceHash(o.bytes)).toBe(contentHash(bytes));
    const md = await sharp(o.bytes).metadata();
    expect([md.width, md.height]).toEqual([48, 48]);
  });

  it('skips a truncated raster as corrupt, as the decode would', async () => {
    const jpeg = await sharp(await shapePng(15, 48))
      .jpeg()
      .toBuffer();
    const err = await original(jpeg.subarray(0, jpeg.length - 40)).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'corrupt', message: 'the JPEG data is truncated or corrupt' });
    // In the same words every time: libvips's own varied between runs ("unable to write to target").
    const png = await shapePng(16);
    for (let run = 0; run < 5; run++)
      await expect(original(png.subarray(0, png.length - 40))).rejects.toMatchObject({
        reason: 'corrupt',
        message: 'the PNG data is truncated or corrupt',
      });
  });

  it('names stripped originals apart from the sources they come from', () => {
    const hash = contentHash(Buffer.from('a source'));
    expect(storedOriginalName(hash, 'jpg', true)).toBe(originalName(hash, 'jpg'));
    const stripped = storedOriginalName(hash, 'jpg', false);
    expect(stripped).toMatch(/^originals\/[0-9a-f]{16}\.jpg$/);
    expect(stripped).not.toBe(originalName(hash, 'jpg'));
  });

  it('turns an SVG with a script into a PNG that names its source and carries no markup', async () => {
    const o = await original(SCRIPTED_SVG);
    expect([o.ext, o.rasterised]).toEqual(['png', true]);
    const md = await sharp(o.bytes).metadata();
    expect([md.format, md.width, md.height]).toEqual(['png', 40, 30]);
    expect(Buffer.from(o.bytes).includes('<script')).toBe(false);
    expect(Buffer.from(o.bytes).includes('<svg')).toBe(false);
    expect(recordedSourceHash(o.bytes)).toBe(contentHash(SCRIPTED_SVG));
    expect(isOriginalOf(o.bytes, contentHash(SCRIPTED_SVG))).toBe(true);
    expect(isOriginalOf(o.bytes, contentHash(Buffer.from('other')))).toBe(false);
  });

  it('draws an SVG declared larger than the results page needs at 2048 px, keeping its shape', async () => {
    // Costly to draw: at the 12,000 × 6,000 px it declares this took minutes.
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="12000" height="6000"><filter id="f">' +
        '<feTurbulence baseFrequency="0.9" numOctaves="4"/></filter><rect width="100%" height="100%" filter="url(#f)"/></svg>',
    );
    const o = await original(svg);
    const md = await sharp(o.bytes).metadata();
    expect([md.format, md.width, md.height]).toEqual(['png', 2048, 1024]);
  });

  it('rasterises formats browsers do not show as plain images (TIFF)', async () => {
    const tiff = await sharp(await shapePng(2, 32))
      .tiff()
      .toBuffer();
    const o = await original(tiff);
    expect([o.ext, o.rasterised]).toEqual(['png', true]);
  });

  it('rasterises a file whose bytes do not start with its format’s signature', async () => {
    const png = await shapePng(3, 32);
    const info = await readImageInfo(png);
    // What sharp called a JPEG but a browser would not sniff as one.
    const o = await safeOriginal(png, { ...info, format: 'jpeg' }, contentHash(png), 1e8, vectors);
    expect([o.ext, o.rasterised]).toEqual(['png', true]);
  });

  it('refuses, with a reason, what cannot be rasterised', async () => {
    const broken = SCRIPTED_SVG.subarray(0, 60);
    const err = await safeOriginal(broken, { format: 'svg', width: 40, height: 30 }, 'x', 1e8, vectors).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as ImageDecodeError).reason).toBe('not-rasterisable');
  });
});

describe('VectorRenderer', () => {
  it('gives up a drawing that takes longer than its time, then draws the next one', async () => {
    // Minutes of drawing in the build's own process before; the child drawing it is killed at 1 s.
    const quick = new VectorRenderer(1);
    try {
      const t = performance.now();
      await expect(quick.render(stackedFilters(64), 1e8, 2048)).rejects.toThrow(
        new RenderTimeoutError('rendering it took longer than 1 s'),
      );
      expect(performance.now() - t).toBeLessThan(30_000);
      const png = await quick.render(SCRIPTED_SVG, 1e8, 2048);
      expect((await sharp(png).metadata()).format).toBe('png');
    } finally {
      quick.close();
    }
  });

  it("does not count a new child's start (loading tsx and sharp, most of a second) as drawing time", async () => {
    // A quarter of a second is far more than this drawing takes, and less than any child's start.
    const strict = new VectorRenderer(0.25);
    const dot = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="red"/></svg>',
    );
    try {
      expect((await sharp(await strict.render(dot, 1e8, 4)).metadata()).width).toBe(4);
    } finally {
      strict.close();
    }
  });

  it('turns a slow drawing into a not-rasterisable skip with the same words every time', async () => {
    const quick = new VectorRenderer(1);
    try {
      const svg = stackedFilters(64);
      const info = await readImageInfo(svg);
      const err = await safeOriginal(svg, info, contentHash(svg), 1e8, quick).catch((e: unknown) => e);
      expect(err).toMatchObject({
        reason: 'not-rasterisable',
        message:
          'a svg original is not stored as it is and could not be turned into a PNG: rendering it took longer than 1 s',
      });
    } finally {
      quick.close();
    }
  });
});

describe('a build with an SVG that has a script', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'safe-original-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('stores a PNG original, and no .svg anywhere in the data dir', async () => {
    const src = join(root, 'src');
    await mkdir(join(src, 'mixed'), { recursive: true });
    await writeFile(join(src, 'mixed', 'a.png'), await shapePng(4));
    await writeFile(join(src, 'mixed', 'b.png'), await shapePng(5));
    await writeFile(join(src, 'mixed', 'scripted.svg'), SCRIPTED_SVG);
    const out = join(root, 'out');
    const { report } = await buildIndex({
      source: new FolderSource(src),
      dataDir: out,
      model: await loadModel(),
      cacheDir: join(root, 'cache'),
    });
    expect(report.counts).toMatchObject({ listed: 3, indexed: 3, skipped: 0 });
    const data = await verifyDataDir(out);
    const svgItem = data.catalog.items.find((it) => it.name === 'scripted.svg');
    expect(svgItem?.original).toMatch(/^originals\/[0-9a-f]{16}\.png$/);
    const stored = await readFile(join(out, svgItem!.original));
    expect((await sharp(stored).metadata()).format).toBe('png');
    const all = [...(await readdir(out)), ...(await readdir(join(out, 'originals')))];
    expect(all.filter((n) => n.endsWith('.svg'))).toEqual([]);
  });
});
