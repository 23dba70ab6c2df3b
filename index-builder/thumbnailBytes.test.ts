import { cp, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixtureCollection } from '../testing/builderFixtures';
import { buildIndex } from './buildIndex';
import { contentHash } from './contentAddress';
import { MAX_DECODE_SIDE } from './decodeImage';
import { FolderSource } from './folderSource';
import { loadModel, type LoadedModel } from './loadModel';
import { thumbnailName } from '../storage/dataDirNames';

/*
 * A thumbnail is named by its image's content alone (storage/dataDirNames.ts thumbnailName) and deploy
 * serves it as immutable, so every way a build comes to draw it must give the same bytes: featurizing the
 * image, finding its embedding cached (a warm --cache, a worker's cache) and repairing a damaged one.
 * Featurized images used to get theirs from the pixels decoded for the model, cached ones from the file,
 * and every photo larger than MAX_DECODE_SIDE came out different.
 */

let root: string;
let model: LoadedModel;

/** A noisy photo (JPEG, turned by EXIF) from a fixed seed: fine detail shows any change in resampling. */
async function texturedPhoto(width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let x = seed;
  for (let i = 0; i < pixels.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    pixels[i] = (x >>> 16) & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .blur(1.2)
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function thumbsOf(out: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(join(out, 'thumbs'))).sort();
  return new Map(
    await Promise.all(names.map(async (n) => [n, await readFile(join(out, 'thumbs', n))] as const)),
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'thumbnail-bytes-'));
  model = await loadModel();
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('thumbnail bytes', () => {
  it('are the same whether the embedding was featurized or cached, and when a damaged one is drawn again', async () => {
    const src = join(root, 'src');
    await makeFixtureCollection(src);
    await mkdir(join(src, 'photos'));
    const photo = await texturedPhoto(MAX_DECODE_SIDE + 576, 1200, 7);
    await writeFile(join(src, 'photos', 'big.jpg'), photo);
    await writeFile(join(src, 'photos', 'mid.jpg'), await texturedPhoto(900, 700, 8));
    const cacheDir = join(root, 'cache');
    const build = (out: string) =>
      buildIndex({ source: new FolderSource(src), dataDir: out, model, cacheDir });

    const cold = await build(join(root, 'cold'));
    expect(cold.report.counts).toMatchObject({ indexed: 14, featurized: 14, cached: 0 });
    // A data dir of its own with the same cache: every embedding cached, every thumbnail drawn anew.
    const warm = await build(join(root, 'warm'));
    expect(warm.report.counts).toMatchObject({
      indexed: 14,
      featurized: 0,
      cached: 14,
      thumbnailsWritten: 14,
    });

    const fromModel = await thumbsOf(join(root, 'cold'));
    const fromCache = await thumbsOf(join(root, 'warm'));
    expect([...fromCache.keys()]).toEqual([...fromModel.keys()]);
    const bigThumb = thumbnailName(contentHash(photo));
    const bigFile = bigThumb.slice('thumbs/'.length);
    expect(fromModel.has(bigFile)).toBe(true);
    const differing = [...fromModel].filter(([n, bytes]) => !bytes.equals(fromCache.get(n) as Buffer));
    expect(differing.map(([n]) => n)).toEqual([]);
    expect(await readFile(join(root, 'warm', 'media-sizes.json'), 'utf8')).toBe(
      await readFile(join(root, 'cold', 'media-sizes.json'), 'utf8'),
    );

    // A thumbnail damaged since (storage/mediaSizes.ts) is drawn again from the file, its embedding cached.
    const repaired = join(root, 'repaired');
    await cp(join(root, 'cold'), repaired, { recursive: true });
    await truncate(join(repaired, bigThumb), 100);
    const repair = await build(repaired);
    expect(repair.report.counts).toMatchObject({ featurized: 0, thumbnailsWritten: 1 });
    expect((await readFile(join(repaired, bigThumb))).equals(fromModel.get(bigFile) as Buffer)).toBe(true);
  });
});
