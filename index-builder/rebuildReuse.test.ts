import { cp, mkdtemp, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emojiPng, makeFixtureCollection, shapePng } from '../testing/builderFixtures';
import { verifyDataDir } from '../testing/dataDirChecks';
import { buildIndex, type BuildIndexOptions } from './buildIndex';
import { FolderSource } from './folderSource';
import type { SourceEntry } from './imageSource';
import { loadModel, type LoadedModel } from './loadModel';
import { openDataDir } from './openDataDir';
import { DUPLICATE_PAIRS_FILE } from './duplicatePairsFile';
import { NEIGHBOUR_LISTS_FILE } from './neighbourListsFile';
import { PROJECTIONS_FILE } from './projectionCache';
import { RACY_MS, SOURCE_FILES_FILE } from './sourceFileRecords';
import { MEDIA_SIZES_FILE } from '../storage/dataDirNames';

/*
 * A rebuild reuses what the previous build learned (source-files.json: what each unchanged file held;
 * projections.bin: the images' projections under the kept transform). Each reuse must give exactly
 * the data dir a rebuild without it gives, and anything changed or damaged must be read again.
 */

let root: string;
let model: LoadedModel;
let fixture: string;
let cache: string;

/** A FolderSource that remembers which files it was asked to read. */
class CountingSource extends FolderSource {
  reads: string[] = [];
  override async read(entry: SourceEntry): Promise<Uint8Array> {
    this.reads.push(entry.key);
    return super.read(entry);
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rebuild-reuse-'));
  model = await loadModel();
  fixture = join(root, 'fixture');
  // One embedding cache for every test: only the first build featurizes the fixture.
  cache = join(root, 'cache');
  await makeFixtureCollection(fixture);
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function build(src: string, out: string, extra: Partial<BuildIndexOptions> = {}) {
  const source = new CountingSource(src);
  const { report } = await buildIndex({ source, dataDir: out, model, cacheDir: cache, ...extra });
  return { report, reads: source.reads.sort() };
}

/** A copy of the fixture built once, then one more image added. */
async function builtOnce(
  name: string,
  extra: Partial<BuildIndexOptions> = {},
): Promise<{ src: string; out: string }> {
  const src = join(root, name, 'src');
  const out = join(root, name, 'out');
  await cp(fixture, src, { recursive: true });
  await settle();
  await build(src, out, extra);
  await cp(emojiPng('twitter', '1f436.png'), join(src, 'animals', 'twitter_dog.png'));
  await settle();
  return { src, out };
}

/** Files changed within moments of a listing are never recorded (sourceFileRecords.ts's isRacy). */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 2 * RACY_MS.fine));
}

/** A copy of the data dir `out` with nothing a rebuild could reuse but the transform. */
async function withoutReuse(out: string, copy: string): Promise<string> {
  await cp(out, copy, { recursive: true });
  for (const f of [SOURCE_FILES_FILE, PROJECTIONS_FILE, DUPLICATE_PAIRS_FILE, NEIGHBOUR_LISTS_FILE])
    await rm(join(copy, f), { force: true });
  return copy;
}

/** The files that make a build what it is (the manifest itself also holds its creation time). */
async function published(out: string) {
  const { manifest, collection } = await openDataDir(out);
  if (collection.layout === 'resident') await verifyDataDir(out);
  return {
    index: manifest.index.sha256,
    catalog: manifest.catalog.sha256,
    duplicates: manifest.duplicates?.file.sha256,
    calibration: manifest.calibration,
    neighbours: 'neighbours' in manifest ? manifest.neighbours?.shards.map((s) => s.sha256) : undefined,
  };
}

describe('rebuild reuse', () => {
  it('reads only the new file, and publishes what a rebuild without the records and projections does', async () => {
    const { src, out } = await builtOnce('reuse');
    const bare = await withoutReuse(out, join(root, 'reuse', 'bare'));

    const reused = await build(src, out);
    expect(reused.reads).toEqual(['animals/twitter_dog.png']);
    const recomputed = await build(src, bare);
    expect(recomputed.reads).toHaveLength(13);
    expect(await published(out)).toEqual(await published(bare));
    expect(reused.report.counts).toMatchObject({ indexed: 13, featurized: 1, cached: 12 });

    // A rebuild that keeps the transform takes every projection and duplicate pair from the files.
    const keptBare = await withoutReuse(out, join(root, 'reuse', 'kept-bare'));
    const kept = await build(src, out, { force: true });
    expect(kept.report.transform).toMatchObject({ reused: true, projected: 0 });
    expect(kept.report.duplicates?.rowsScanned).toBe(0);
    // …and every neighbour list: no row's list lost a member, none is new.
    expect(kept.report.timings.assembleParts?.neighboursScanned).toBe(0);
    expect(kept.reads).toEqual([]);
    const keptRecomputed = await build(src, keptBare, { force: true });
    expect(keptRecomputed.report.transform).toMatchObject({ reused: true, projected: 13 });
    expect(keptRecomputed.report.duplicates?.rowsScanned).toBe(13);
    expect(keptRecomputed.report.timings.assembleParts?.neighboursScanned).toBe(13);
    expect(await published(out)).toEqual(await published(keptBare));
  });

  it('takes the duplicate pairs of a sharded rebuild from the previous build, with the same result', async () => {
    const sharded = { layout: 'sharded' } as const;
    const { src, out } = await builtOnce('sharded', sharded);
    await build(src, out, sharded);
    const bare = await withoutReuse(out, join(root, 'sharded', 'bare'));
    const kept = await build(src, out, { ...sharded, force: true });
    expect(kept.report.transform).toMatchObject({ reused: true, projected: 0 });
    expect(kept.report.duplicates?.rowsScanned).toBe(0);
    const recomputed = await build(src, bare, { ...sharded, force: true });
    expect(recomputed.report.duplicates?.rowsScanned).toBe(13);
    expect(await published(out)).toEqual(await published(bare));
  });

  it('reads a file again whose read failed, though nothing in the listing changed', async () => {
    const { src, out } = await builtOnce('read-failed');
    const key = 'animals/twitter_dog.png';
    class FailingOnce extends FolderSource {
      override async read(entry: SourceEntry): Promise<Uint8Array> {
        if (entry.key === key) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        return super.read(entry);
      }
    }
    const failed = await buildIndex({ source: new FailingOnce(src), dataDir: out, model, cacheDir: cache });
    expect(failed.report.skipped).toEqual([
      { key, reason: 'read-failed', message: 'read ECONNRESET (the next build tries it again)' },
    ]);
    const retried = await build(src, out);
    expect(retried.reads).toEqual([key]);
    expect(retried.report.skipped).toEqual([]);
    expect(retried.report.counts.indexed).toBe(failed.report.counts.indexed + 1);
    // Once read, the build is up to date again.
    expect(
      (await buildIndex({ source: new FolderSource(src), dataDir: out, model, cacheDir: cache })).upToDate,
    ).toBe(true);
  });

  it('reads a file again whose content changed though its size and mtime were put back', async () => {
    const { src, out } = await builtOnce('changed');
    const a = await shapePng(5);
    const b = await shapePng(7);
    // Two different images padded to one size (PNG readers ignore bytes after IEND).
    const size = Math.max(a.length, b.length) + 16;
    const padded = (x: Buffer) => Buffer.concat([x, Buffer.alloc(size - x.length)]);
    const file = join(src, 'food', 'shape.png');
    await writeFile(file, padded(a));
    // A whole second, so that putting it back is exact.
    const mtime = Math.floor(Date.now() / 1000) - 60;
    await utimes(file, mtime, mtime);
    await settle();
    await build(src, out);
    const before = await stat(file);
    const thumbOf = async () =>
      (await verifyDataDir(out)).catalog.items.find((it) => it.name === 'shape.png')?.thumb;
    const firstThumb = await thumbOf();

    await writeFile(file, padded(b));
    await utimes(file, mtime, mtime);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect((await stat(file)).size).toBe(before.size);
    const { reads } = await build(src, out);
    expect(reads).toEqual(['food/shape.png']);
    expect(await thumbOf()).not.toBe(firstThumb);
    expect(await readFile(join(out, (await thumbOf()) ?? ''))).not.toEqual(
      await readFile(join(out, firstThumb ?? '')),
    );
  });

  it('reads an unchanged file again when its thumbnail is gone from the data dir, and makes it anew', async () => {
    const { src, out } = await builtOnce('thumb-gone');
    await build(src, out);
    const { catalog } = await verifyDataDir(out);
    const item = catalog.items.find((it) => it.name === 'apple_cat.png');
    await rm(join(out, item?.thumb ?? 'missing'));
    const { reads, report } = await build(src, out, { force: true });
    expect(reads).toEqual(['animals/apple_cat.png']);
    expect(report.counts.thumbnailsWritten).toBe(1);
    await verifyDataDir(out);
    expect((await stat(join(out, item?.thumb ?? 'missing'))).size).toBeGreaterThan(0);
  });

  it('makes again a thumbnail or original damaged since it was written, reading only that image', async () => {
    const { src, out } = await builtOnce('damaged-media');
    await build(src, out);
    const { catalog } = await verifyDataDir(out);
    const item = catalog.items.find((it) => it.name === 'apple_cat.png');
    const thumb = join(out, item?.thumb ?? 'missing');
    const original = join(out, item?.original ?? 'missing');
    const made = { thumb: await readFile(thumb), original: await readFile(original) };
    const rebuild = async () => {
      const source = new CountingSource(src);
      const result = await buildIndex({ source, dataDir: out, model, cacheDir: cache });
      return { ...result, reads: source.reads };
    };

    // A half copy, a full disk: the source is as it was, so before this the build was up to date.
    await truncate(thumb, made.thumb.length >> 1);
    await truncate(original, made.original.length >> 1);
    const repaired = await rebuild();
    expect(repaired.upToDate).toBe(false);
    expect(repaired.reads).toEqual(['animals/apple_cat.png']);
    expect(repaired.report.counts).toMatchObject({
      featurized: 0,
      thumbnailsWritten: 1,
      originalsWritten: 1,
      repaired: { thumbnails: 1, originals: 1 },
    });
    expect(await readFile(thumb)).toEqual(made.thumb);
    expect(await readFile(original)).toEqual(made.original);
    expect((await rebuild()).upToDate).toBe(true);

    // An original grown by what an edit appended is not its size either, and nor is one of a forced build.
    await writeFile(original, Buffer.concat([made.original, Buffer.from('appended')]));
    const forced = await buildIndex({
      source: new CountingSource(src),
      dataDir: out,
      model,
      cacheDir: cache,
      force: true,
    });
    expect(forced.report.counts.repaired).toEqual({ thumbnails: 0, originals: 1 });
    expect(await readFile(original)).toEqual(made.original);

    // A data dir from before sizes were recorded: a thumbnail's WebP header says how long it is.
    await rm(join(out, MEDIA_SIZES_FILE));
    await truncate(thumb, made.thumb.length - 1);
    const unrecorded = await rebuild();
    expect(unrecorded.reads).toEqual(['animals/apple_cat.png']);
    expect(await readFile(thumb)).toEqual(made.thumb);
    expect((await rebuild()).upToDate).toBe(true);
  });

  it('falls back to reading and projecting everything when the records or projections are damaged', async () => {
    const { src, out } = await builtOnce('damaged');
    const bare = await withoutReuse(out, join(root, 'damaged', 'bare'));

    await writeFile(join(out, SOURCE_FILES_FILE), '{"version":1,"settings":');
    const projections = await readFile(join(out, PROJECTIONS_FILE));
    projections[projections.length - 40] ^= 0xff;
    await writeFile(join(out, PROJECTIONS_FILE), projections);
    const damaged = await build(src, out);
    expect(damaged.reads).toHaveLength(13);
    await build(src, bare);
    expect(await published(out)).toEqual(await published(bare));

    // A record naming a content the cache does not hold is not trusted either.
    const records = JSON.parse(await readFile(join(out, SOURCE_FILES_FILE), 'utf8')) as {
      files: [string, number, string, string][];
    };
    for (const f of records.files) f[3] = 'f'.repeat(64);
    await writeFile(join(out, SOURCE_FILES_FILE), JSON.stringify(records));
    const wrongHash = await build(src, out, { force: true });
    expect(wrongHash.reads).toHaveLength(13);
    expect(await published(out)).toEqual(await published(bare));
  });
});
