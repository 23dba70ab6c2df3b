import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { featurize } from '../core/featurize';
import { makeViews, viewCacheKey } from './augmentedViews';
import { buildIndex, modelCacheFile, type BuildIndexOptions } from './buildIndex';
import { contentHash } from './contentAddress';
import { EmbeddingCache } from './embeddingCache';
import { createOnnxModelRunner } from './onnxModelRunner';
import { itemIdFor } from './itemId';
import { openDataDir } from './openDataDir';
import { THUMBNAIL_SIZE, decodeImage } from './decodeImage';
import {
  FIXTURE_KEYS,
  badInputs,
  emojiPng,
  makeFixtureCollection,
  phonePhoto,
  shapePng,
} from '../testing/builderFixtures';
import { FolderSource } from './folderSource';
import type { SourceEntry } from './imageSource';
import { loadModel, type LoadedModel } from './loadModel';
import { ownedFiles, verifyDataDir } from '../testing/dataDirChecks';
import { REPO_ROOT } from '../testing/repoRoot';
import { runCli } from '../testing/builderCli';
import { WAIT_MS } from '../testing/timeLimits';
import { RACY_MS } from './sourceFileRecords';
import { decodeStylePairs, encodeStylePairs } from '../models/stylePairsFile';
import { DATA_DIR_MARKER } from '../storage/dataDirNames';

let root: string;
let model: LoadedModel;
let fixture: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'build-index-'));
  model = await loadModel();
  fixture = join(root, 'fixture');
  await makeFixtureCollection(fixture);
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A fresh copy of the 12-image fixture to change, and a data dir and cache of its own. */
async function workspace(name: string): Promise<{ src: string; out: string; cache: string }> {
  const dir = join(root, name);
  await cp(fixture, join(dir, 'src'), { recursive: true });
  return { src: join(dir, 'src'), out: join(dir, 'out'), cache: join(dir, 'cache') };
}

function build(src: string, out: string, cache: string, extra: Partial<BuildIndexOptions> = {}) {
  return buildIndex({ source: new FolderSource(src), dataDir: out, model, cacheDir: cache, ...extra });
}

/**
 * Runs the CLI and kills it (SIGKILL) as soon as it has written a file into `out` that is not in `before`;
 * returns the new files.
 */
async function killMidway(src: string, out: string, cache: string, before: Set<string>): Promise<string[]> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'index-builder/buildIndexCli.ts',
      '--source',
      src,
      '--data-dir',
      out,
      '--cache',
      cache,
      '--batch-size',
      '8',
    ],
    { cwd: REPO_ROOT, stdio: 'ignore' },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  const deadline = Date.now() + WAIT_MS;
  let newFiles: string[] = [];
  while (Date.now() < deadline && child.exitCode === null) {
    // `out` is made by the build: a first one may not have made it yet.
    newFiles = (await ownedFiles(out).catch(() => [])).filter((f) => !before.has(f));
    if (newFiles.length > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return newFiles;
}

describe('buildIndex', () => {
  it('writes a manifest whose files exist and match their hashes, with stable ids and source meta', async () => {
    const { src, out, cache } = await workspace('full');
    const { upToDate, report } = await build(src, out, cache);
    expect(upToDate).toBe(false);
    expect(report.counts).toMatchObject({ listed: 12, indexed: 12, featurized: 12, cached: 0, skipped: 0 });

    const data = await verifyDataDir(out);
    expect(data.manifest.count).toBe(12);
    expect(data.index.count).toBe(12);
    expect(data.manifest.model.id).toBe(model.spec.id);
    const byKey = new Map(data.catalog.items.map((it) => [`${it.album}/${it.name}`, it]));
    expect([...byKey.keys()].sort()).toEqual(FIXTURE_KEYS);
    for (const [key, it] of byKey) {
      expect(it.id).toBe(itemIdFor(key));
      expect(it.meta?.vendor).toBe(key.split('/').pop()?.split('_')[0]);
      expect([it.width, it.height]).toEqual([64, 64]);
    }
    expect(data.catalog.albums.map((a) => [a.name, a.count])).toEqual([
      ['animals', 4],
      ['faces', 4],
      ['food', 4],
    ]);
    const thumb = await sharp(join(out, data.catalog.items[0].thumb)).metadata();
    expect(thumb.format).toBe('webp');
    expect(Math.max(thumb.width ?? 0, thumb.height ?? 0)).toBeLessThanOrEqual(THUMBNAIL_SIZE);
    const report2 = JSON.parse(await readFile(join(out, 'build-report.json'), 'utf8'));
    expect(report2.fingerprint).toBe(report.fingerprint);
    // Nothing but the manifest's files (and the report) is left behind.
    expect((await readdir(out)).filter((n) => n.startsWith('.') && n !== DATA_DIR_MARKER)).toEqual([]);
  });

  it('learns its transform from edited copies of the images, cached like embeddings; --views 0 turns it off', async () => {
    const { src, out, cache } = await workspace('views');
    const first = await build(src, out, cache);
    // 12 images (< 256): every image gets 8 views.
    expect(first.report.counts.views).toBe(96);
    const cacheFiles = async () =>
      Promise.all(
        (await readdir(cache, { recursive: true })).map((f) => readFile(join(cache, f)).catch(() => '')),
      );
    const cachedBytes = (await cacheFiles()).reduce((n, b) => n + b.length, 0);
    const learned = await verifyDataDir(out);

    // A forced rebuild takes the views from the cache: nothing new is featurized or appended.
    const again = await build(src, out, cache, { force: true });
    expect(again.report.counts).toMatchObject({ featurized: 0, views: 96 });
    expect((await cacheFiles()).reduce((n, b) => n + b.length, 0)).toBe(cachedBytes);
    expect((await verifyDataDir(out)).manifest.index.sha256).toBe(learned.manifest.index.sha256);

    const plain = await build(src, out, cache, { views: 0 });
    expect(plain.upToDate).toBe(false);
    expect(plain.report.counts.views).toBe(0);
    expect((await verifyDataDir(out)).manifest.index.sha256).not.toBe(learned.manifest.index.sha256);
  });

  it('frames uniform opaque margins in the images it stores, not in their edited views (the margin is its own)', async () => {
    // The default model frames art on one opaque colour (frameSubject.uniformMargin); the views are made
    // from the pixels flattened on white, so nearly every emoji's views have such a margin.
    expect(model.spec.input.frameSubject?.uniformMargin).toBeDefined();
    const { src, out, cache } = await workspace('view-margins');
    await build(src, out, cache);
    const sha = createHash('sha256')
      .update(await readFile(model.onnxPath))
      .digest('hex');
    const cached = await EmbeddingCache.read(
      modelCacheFile(cache, model.spec, sha),
      model.spec.id,
      model.spec.output.dim,
    );
    const distance = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    const runner = await createOnnxModelRunner(model.onnxPath, model.spec, 1);
    let differ = 0;
    try {
      for (const key of FIXTURE_KEYS) {
        const bytes = await readFile(join(src, key));
        const hash = contentHash(bytes);
        const views = await makeViews((await decodeImage(bytes)).image, hash, 8);
        const unframed = await featurize(runner, model.spec, views, { uniformMargins: false });
        const framed = await featurize(runner, model.spec, views);
        views.forEach((_, v) => {
          const stored = cached.get(viewCacheKey(hash, v).slice(0, 32))!;
          expect(distance(stored, unframed[v])).toBeLessThan(1e-4);
          if (distance(framed[v], unframed[v]) > 1e-3) differ++;
        });
      }
      // The test means something only if framing would have changed some views.
      expect(differ).toBeGreaterThan(0);
    } finally {
      await runner.release();
    }
  });

  it('learns from the labels its names (labelPattern) or its metadata give; a bad pattern fails before any image is read', async () => {
    const { src, out, cache } = await workspace('labels');
    const plain = await build(src, out, cache);
    expect(plain.report.counts.labelled).toBeUndefined();
    const plainIndex = (await verifyDataDir(out)).manifest.index.sha256;

    // grinning ×3, dog ×2 and pizza ×2 share a label; joy, cat, fox, banana and hamburger have their own.
    const labelled = await build(src, out, cache, { labelPattern: '_([a-z]+)\\.png$' });
    expect(labelled.upToDate).toBe(false);
    expect(labelled.report.counts).toMatchObject({ featurized: 0, labelled: 7, labels: 3 });
    expect(labelled.report.transform).toMatchObject({ reused: false });
    const labelledIndex = (await verifyDataDir(out)).manifest.index.sha256;
    expect(labelledIndex).not.toBe(plainIndex);
    expect((await build(src, out, cache, { labelPattern: '_([a-z]+)\\.png$' })).upToDate).toBe(true);

    // The same grouping from the metadata's `label` fields, without a pattern: the same index.
    const metaFile = join(src, 'lookalike-meta.json');
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, Record<string, string>>;
    for (const fields of Object.values(meta)) fields.label = fields.image;
    // A key that names no image (a typo in its path): its label reaches none, and the report says so.
    meta['faces/apple_joy.jpg'] = { label: 'joy' };
    await writeFile(metaFile, JSON.stringify(meta));
    const fromMeta = await build(src, out, cache);
    expect(fromMeta.report.counts).toMatchObject({ featurized: 0, labelled: 7, labels: 3 });
    expect(fromMeta.report.metaKeysWithoutImage).toEqual(['faces/apple_joy.jpg']);
    expect(plain.report.metaKeysWithoutImage).toBeUndefined();
    expect((await verifyDataDir(out)).manifest.index.sha256).toBe(labelledIndex);

    const before = await readFile(join(out, 'manifest.json'));
    await expect(build(src, out, cache, { labelPattern: '_([a-z' })).rejects.toThrow(
      /--label-pattern "_\(\[a-z" is not a regular expression/,
    );
    expect(await readFile(join(out, 'manifest.json'))).toEqual(before);
  });

  it('learns from pairs across the sources its names give (sourcePattern); a bad pattern fails before any image is read', async () => {
    const { src, out, cache } = await workspace('sources');
    await build(src, out, cache);
    const plainIndex = (await verifyDataDir(out)).manifest.index.sha256;
    const pattern = '/([a-z]+)_';
    const sourced = await build(src, out, cache, { sourcePattern: pattern });
    expect(sourced.upToDate).toBe(false);
    const vendors = new Set(FIXTURE_KEYS.map((k) => k.split('/').pop()!.split('_')[0])).size;
    expect(sourced.report.counts).toMatchObject({ featurized: 0, sourced: 12, sources: vendors });
    expect(sourced.report.counts.sourcePairs).toBeGreaterThanOrEqual(2);
    expect(sourced.report.transform).toMatchObject({ reused: false });
    expect((await verifyDataDir(out)).manifest.index.sha256).not.toBe(plainIndex);
    expect((await build(src, out, cache, { sourcePattern: pattern })).upToDate).toBe(true);

    const before = await readFile(join(out, 'manifest.json'));
    await expect(build(src, out, cache, { sourcePattern: '([a-z' })).rejects.toThrow(
      /--source-pattern "\(\[a-z" is not a regular expression/,
    );
    expect(await readFile(join(out, 'manifest.json'))).toEqual(before);
  });

  it('says an unchanged source is up to date, and rebuilds when a file or option changes', async () => {
    const { src, out, cache } = await workspace('unchanged');
    const first = await build(src, out, cache);
    const again = await build(src, out, cache);
    expect(again.upToDate).toBe(true);
    expect(again.report.manifestSha256).toBe(first.report.manifestSha256);
    const otherDims = await build(src, out, cache, { dims: 4 });
    expect(otherDims.upToDate).toBe(false);
    expect(otherDims.report.counts).toMatchObject({ featurized: 0, cached: 12 });
    expect((await verifyDataDir(out)).index.dims).toBe(4);
  });

  it('keeps the fitted transform across a rebuild that does not move it; --refit and new settings fit again', async () => {
    const { src, out, cache } = await workspace('transform-reuse');
    const first = await build(src, out, cache);
    expect(first.report.transform).toMatchObject({ reused: false, drift: null });
    const transformOf = async () => (await verifyDataDir(out)).index.transform;
    const fitted = await transformOf();

    const again = await build(src, out, cache, { force: true });
    expect(again.report.transform).toMatchObject({ reused: true, drift: 0 });
    expect(again.report.transform?.reason).toMatch(/^kept: 0 added and 0 removed/);
    expect(await transformOf()).toEqual(fitted);

    // Removing a quarter of the images is too much to keep the fit.
    await rm(join(src, 'animals'), { recursive: true });
    const shrunk = await build(src, out, cache);
    expect(shrunk.report.transform?.reused).toBe(false);
    expect(shrunk.report.transform?.reason).toMatch(
      /^refitted: \d+ of the 12 images it was fitted on are gone/,
    );

    const refit = await build(src, out, cache, { refit: true });
    expect(refit.upToDate).toBe(false);
    expect(refit.report.transform).toMatchObject({ reused: false, reason: expect.stringMatching(/--refit/) });

    const otherDims = await build(src, out, cache, { dims: 4 });
    expect(otherDims.report.transform).toMatchObject({
      reused: false,
      reason: expect.stringMatching(/no earlier fit/),
    });

    // A build stopped after publishing its manifest, before recording its fit, left the older record.
    const fitFile = join(out, 'transform-fit.json');
    const record = JSON.parse(await readFile(fitFile, 'utf8')) as { manifestSha256: string };
    await writeFile(fitFile, JSON.stringify({ ...record, manifestSha256: '0'.repeat(64) }));
    const afterStop = await build(src, out, cache, { dims: 4, force: true });
    expect(afterStop.report.transform).toMatchObject({
      reused: false,
      reason: "fitted: the earlier fit on record is not the published build's (a build was stopped midway)",
    });
  });

  it('after adding one image and one corrupt file featurizes only the new image and lists the corrupt one', async () => {
    const { src, out, cache } = await workspace('incremental');
    await build(src, out, cache);
    const before = await ownedFiles(out);
    await cp(emojiPng('twitter', '1f436.png'), join(src, 'animals', 'twitter_dog.png'));
    const png = await shapePng(5);
    await writeFile(join(src, 'food', 'broken.png'), png.subarray(0, png.length - 40));

    const { report } = await build(src, out, cache);
    expect(report.counts).toMatchObject({ listed: 14, indexed: 13, featurized: 1, cached: 12, skipped: 1 });
    expect(report.counts.thumbnailsWritten).toBe(1);
    expect(report.counts.originalsWritten).toBe(1);
    expect(report.skipped).toEqual([
      { key: 'food/broken.png', reason: 'corrupt', message: expect.any(String) },
    ]);
    const data = await verifyDataDir(out);
    expect(data.catalog.items.some((it) => it.id === itemIdFor('animals/twitter_dog.png'))).toBe(true);
    // The old index and catalog were replaced (and stay for one more build, for tabs still on them);
    // thumbnails and originals were kept.
    const after = await ownedFiles(out);
    const keptMedia = before.filter((f) => f.startsWith('thumbs/') || f.startsWith('originals/'));
    expect(after).toEqual(expect.arrayContaining(keptMedia));
    expect(after.filter((f) => f.startsWith('index.'))).toEqual(
      [...before.filter((f) => f.startsWith('index.')), data.manifest.index.path].sort(),
    );
  });

  it('does not read again an unchanged file that an earlier build skipped for what it holds; a changed one, or --force, is', async () => {
    const { src, out, cache } = await workspace('remembered-skips');
    const png = await shapePng(6);
    const broken = join(src, 'food', 'broken.png');
    await writeFile(broken, png.subarray(0, png.length - 40));
    // A file changed just before the listing is not recorded (sourceFileRecords.ts, isRacy): let it settle.
    await new Promise((resolve) => setTimeout(resolve, 2 * RACY_MS.fine));
    const reads: string[] = [];
    const source = new (class extends FolderSource {
      override async read(entry: SourceEntry): Promise<Uint8Array> {
        reads.push(entry.key);
        return super.read(entry);
      }
      override async readHead(entry: SourceEntry, bytes: number): Promise<Uint8Array> {
        reads.push(entry.key);
        return super.readHead(entry, bytes);
      }
    })(src);
    // What the progress bar is told: images recalled from an earlier build are not in its rate.
    const ticks = { worked: 0, reused: 0 };
    const progress = {
      start() {},
      stop() {},
      tick: (reused = false) => void ticks[reused ? 'reused' : 'worked']++,
    };
    const run = (force = false) => {
      ticks.worked = ticks.reused = 0;
      return buildIndex({ source, dataDir: out, model, cacheDir: cache, force, progress });
    };
    const first = await run();
    expect(first.report.skipped).toEqual([
      { key: 'food/broken.png', reason: 'corrupt', message: expect.any(String) },
    ]);
    expect(reads).toContain('food/broken.png');
    expect(ticks).toEqual({ worked: 13, reused: 0 });

    // Another file changes, so the build is not up to date; the broken one is skipped again, unread.
    await cp(emojiPng('twitter', '1f436.png'), join(src, 'animals', 'twitter_dog.png'));
    reads.length = 0;
    const second = await run();
    expect(second.upToDate).toBe(false);
    expect(second.report.skipped).toEqual(first.report.skipped);
    expect(reads).not.toContain('food/broken.png');
    expect(second.report.counts).toMatchObject({ indexed: 13, skipped: 1 });
    expect(ticks).toEqual({ worked: 1, reused: 13 });
    // Into a new data dir every file is read again, but the cache has their embeddings: nothing to
    // featurize but the new file, which the bar's rate must not count at the cached ones' pace.
    ticks.worked = ticks.reused = 0;
    await buildIndex({ source, dataDir: `${out}-again`, model, cacheDir: cache, progress });
    expect(ticks).toEqual({ worked: 1, reused: 13 });

    reads.length = 0;
    await run(true);
    expect(reads).toContain('food/broken.png');

    // Fixed: read, and indexed.
    await writeFile(broken, png);
    reads.length = 0;
    const fixed = await run();
    expect(reads).toContain('food/broken.png');
    expect(fixed.report.skipped).toEqual([]);
    expect(fixed.report.counts.indexed).toBe(14);
  });

  it('catalogs the upright size of the original and copies it with its real format', async () => {
    const { src, out, cache } = await workspace('sizes');
    const photo = sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#468' } });
    // Stored landscape, EXIF says rotate 90°: the site shows it portrait. Misleading name on purpose.
    await writeFile(
      join(src, 'faces', 'rotated.png'),
      await photo.jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    );
    await build(src, out, cache);
    const data = await verifyDataDir(out);
    const item = data.catalog.items.find((it) => it.name === 'rotated.png');
    expect([item?.width, item?.height]).toEqual([1200, 1600]);
    expect(item?.original).toMatch(/^originals\/[0-9a-f]{16}\.jpg$/);
    const thumb = await sharp(join(out, item?.thumb ?? '')).metadata();
    expect([thumb.width, thumb.height]).toEqual([192, THUMBNAIL_SIZE]);
  });

  it('publishes originals without their metadata, replacing those a build published with it (--keep-metadata, or a builder before 16)', async () => {
    const { src, out, cache } = await workspace('metadata');
    const photo = await phonePhoto(14, 96);
    await writeFile(join(src, 'faces', 'phone.jpg'), photo);
    const published = async () => {
      const item = (await verifyDataDir(out)).catalog.items.find((it) => it.name === 'phone.jpg')!;
      return { path: item.original, bytes: await readFile(join(out, item.original)) };
    };

    // What every build published before: the source's bytes, named after them.
    const args = ['--source', src, '--data-dir', out, '--cache', cache, '--quiet', '--keep-metadata'];
    const kept = await runCli('buildIndexCli.ts', args);
    expect(kept.code, kept.stderr).toBe(0);
    const before = await published();
    expect(before.bytes.equals(photo)).toBe(true);

    // Every original again, under a name of its own: nothing is featurized or thumbnailed again.
    const { report } = await build(src, out, cache);
    expect(report.counts).toMatchObject({
      indexed: 13,
      featurized: 0,
      thumbnailsWritten: 0,
      originalsWritten: 13,
    });
    const after = await published();
    expect(after.path).not.toBe(before.path);
    for (const s of ['Jane Doe', 'home address']) expect(after.bytes.includes(s), s).toBe(false);
    const md = await sharp(after.bytes).metadata();
    expect([md.format, md.orientation, md.icc]).toEqual(['jpeg', 6, (await sharp(photo).metadata()).icc]);
    // The published file with metadata stays for tabs showing the build before, until the next build.
    await build(src, out, cache, { force: true });
    expect(await ownedFiles(out)).not.toContain(before.path);
    expect(await ownedFiles(out)).toContain(after.path);
  });

  it("fits with the model's style pairs, named in the fit's key and the fingerprint; pairs made from another model file fail before anything is written", async () => {
    // 12 images fit fewer than 128 dims, which the pairs do not change (fitTransform.test.ts shows what they do).
    expect(model.stylePairsFile).toBeDefined();
    const { src, out, cache } = await workspace('style-pairs');
    const fitKey = async () =>
      (JSON.parse(await readFile(join(out, 'transform-fit.json'), 'utf8')) as { key: string }).key;
    await build(src, out, cache);
    const styled = await fitKey();
    const { spec, onnxPath } = model;
    const without = await build(src, out, cache, { model: { spec, onnxPath } });
    expect(without.upToDate).toBe(false);
    expect(await fitKey()).not.toBe(styled);
    const plain = (await verifyDataDir(out)).manifest.index.sha256;

    const pairs = decodeStylePairs(await readFile(model.stylePairsFile!));
    const foreign = join(root, 'style-pairs', 'foreign.style-pairs.bin');
    const row = pairs.rows.subarray(0, pairs.dim);
    await writeFile(foreign, encodeStylePairs([row], [row.map((v) => -v)], 'cd'.repeat(32), pairs.recipe));
    await expect(
      build(src, out, cache, { model: { spec, onnxPath, stylePairsFile: foreign } }),
    ).rejects.toThrow(/foreign\.style-pairs\.bin was made from another model file than .*: delete it/);
    expect((await verifyDataDir(out)).manifest.index.sha256).toBe(plain);
  });

  it('does not reuse cached embeddings for a changed model file that kept its id', async () => {
    const { src, out, cache } = await workspace('model-changed');
    await build(src, out, cache);
    // Same graph, one more protobuf field (ModelProto.doc_string): other bytes, same spec id.
    const changed = join(root, 'model-changed', 'model.onnx');
    const docString = Buffer.from('retrained');
    await writeFile(
      changed,
      Buffer.concat([await readFile(model.onnxPath), Buffer.from([0x32, docString.length]), docString]),
    );
    const { upToDate, report } = await build(src, out, cache, {
      model: { spec: model.spec, onnxPath: changed },
    });
    expect(upToDate).toBe(false);
    expect(report.counts).toMatchObject({ featurized: 12, cached: 0 });
  });

  it('skips every kind of bad input with its reason and indexes the rest', async () => {
    const { src, out, cache } = await workspace('bad-inputs');
    await mkdir(join(src, 'bad'));
    const bad = await badInputs();
    for (const b of bad) await writeFile(join(src, 'bad', b.name), b.bytes);
    // Over the --max-pixels limit though a perfectly good image.
    await writeFile(join(src, 'bad', 'large.png'), await shapePng(6, 120));
    const { report } = await build(src, out, cache, { maxPixels: 100 * 100 });
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.key, s.reason]));
    expect(reasons).toEqual({
      ...Object.fromEntries(bad.map((b) => [`bad/${b.name}`, b.reason])),
      'bad/large.png': 'too-large',
    });
    expect(report.counts).toMatchObject({ indexed: 12, skipped: bad.length + 1 });
    for (const s of report.skipped) expect(s.message.length).toBeGreaterThan(0);
    expect((await verifyDataDir(out)).catalog.albums.map((a) => a.name)).not.toContain('bad');
  });

  it('does not read a large file whole when it cannot be an image or is larger than the pixel limit allows', async () => {
    const { src, out, cache } = await workspace('large-files');
    await mkdir(join(src, 'clips'));
    // Sparse: tens of MB on paper, a few bytes on disk. 3 MP allow at most 25 MB.
    const sparse = async (name: string, mb: number, head: Uint8Array) => {
      await writeFile(join(src, 'clips', name), head);
      await truncate(join(src, 'clips', name), mb * 2 ** 20);
    };
    await sparse('clip.mov', 20, Buffer.from('\0\0\0\x14ftypqt  \0\0\0\0qt  ', 'latin1'));
    await sparse('huge.jpg', 40, Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]));
    const wholeReads: string[] = [];
    const source = new (class extends FolderSource {
      override async read(entry: SourceEntry): Promise<Uint8Array> {
        wholeReads.push(entry.key);
        return super.read(entry);
      }
    })(src);
    const { report } = await buildIndex({
      source,
      dataDir: out,
      model,
      cacheDir: cache,
      maxPixels: 3_000_000,
    });
    expect(report.skipped).toEqual([
      {
        key: 'clips/clip.mov',
        reason: 'unsupported',
        message: '20 MB and no image format by its first bytes; not read',
      },
      {
        key: 'clips/huge.jpg',
        reason: 'too-large',
        message: '40 MB: more than an image of 3000000 pixels takes; not read',
      },
    ]);
    expect(wholeReads.filter((k) => k.startsWith('clips/'))).toEqual([]);
    expect(report.counts.indexed).toBe(12);
  });

  it('puts files at the source root in an album named after the source, and deletes what is no longer used', async () => {
    const { src, out, cache } = await workspace('root-files');
    await build(src, out, cache);
    await cp(emojiPng('google', '1f431.png'), join(src, 'loose_cat.png'));
    await rm(join(src, 'food'), { recursive: true });
    const { report } = await build(src, out, cache);
    expect(report.counts).toMatchObject({ indexed: 9, featurized: 1, cached: 8 });
    const data = await verifyDataDir(out);
    expect(data.catalog.albums.map((a) => a.name)).toEqual(['animals', 'faces', 'src']);
    // The first build's food images stay for a tab that still shows that build…
    expect((await ownedFiles(out)).filter((f) => f.startsWith('thumbs/'))).toHaveLength(13);
    expect(report.counts.filesDeleted).toBe(0);
    // …until the build after: 4 thumbnails, 4 originals, the first index and catalog.
    const third = await build(src, out, cache, { dims: 4 });
    expect(third.upToDate).toBe(false);
    await verifyDataDir(out);
    expect((await ownedFiles(out)).filter((f) => f.startsWith('thumbs/'))).toHaveLength(9);
    expect(third.report.counts.filesDeleted).toBeGreaterThanOrEqual(4 * 2 + 2);
  });

  it('gives two images whose paths share an id each an id of its own (the build used to fail)', async () => {
    const dir = join(root, 'id-clash');
    await mkdir(join(dir, 'src', 'x'), { recursive: true });
    // itemIdFor('x/c2111320.png') === itemIdFor('x/c4997726.png'): 48 bits collide.
    await cp(emojiPng('apple', '1f600.png'), join(dir, 'src', 'x', 'c2111320.png'));
    await cp(emojiPng('apple', '1f431.png'), join(dir, 'src', 'x', 'c4997726.png'));
    await cp(emojiPng('apple', '1f34e.png'), join(dir, 'src', 'x', 'other.png'));
    const { report } = await build(join(dir, 'src'), join(dir, 'out'), join(dir, 'cache'));
    expect(report.counts).toMatchObject({ indexed: 3, skipped: 0 });
    const data = await verifyDataDir(join(dir, 'out'));
    const idOf = new Map(data.catalog.items.map((it) => [it.name, it.id]));
    expect(idOf.get('c2111320.png')).toBe(itemIdFor('x/c2111320.png'));
    expect(idOf.get('c4997726.png')).toBe(itemIdFor('x/c4997726.png\0' + '1'));
    const { collection } = await openDataDir(join(dir, 'out'));
    for (const [name, id] of idOf) expect((await collection.item(id))?.name).toBe(name);
  });

  it('fails without touching the previous build when nothing is usable or the metadata file is broken', async () => {
    const { src, out, cache } = await workspace('failures');
    await build(src, out, cache);
    const manifest = await readFile(join(out, 'manifest.json'));
    const files = await ownedFiles(out);

    await writeFile(join(src, 'lookalike-meta.json'), '{"faces/apple_joy.png": {"vendor": 1}}');
    await expect(build(src, out, cache)).rejects.toThrow(/"faces\/apple_joy.png".vendor must be a string/);
    await writeFile(join(src, 'lookalike-meta.json'), '{ nope');
    await expect(build(src, out, cache)).rejects.toThrow(/lookalike-meta.json is not valid JSON/);

    const empty = join(root, 'failures', 'nothing-usable');
    await mkdir(join(empty, 'album'), { recursive: true });
    await writeFile(join(empty, 'album', 'x.png'), '');
    await expect(build(empty, out, cache)).rejects.toThrow(/no usable images.*previous build is kept/);
    // A first build has no previous build to keep, and says so.
    await expect(build(empty, join(root, 'failures', 'first'), cache)).rejects.toThrow(
      /no usable images.*nothing was published \(there is no previous build\)/,
    );

    expect(await readFile(join(out, 'manifest.json'))).toEqual(manifest);
    expect(await ownedFiles(out)).toEqual(files);
    await verifyDataDir(out);
  });

  it('a first build with nothing to publish leaves the disk as it found it; a later one leaves the build', async () => {
    const { src, cache } = await workspace('nothing-to-publish');
    const base = join(root, 'nothing-to-publish');
    const empty = join(base, 'empty');
    await mkdir(empty);
    const unreadable = join(base, 'unreadable');
    await mkdir(join(unreadable, 'album'), { recursive: true });
    await writeFile(join(unreadable, 'album', 'x.png'), '');
    await writeFile(join(unreadable, 'album', 'y.jpg'), 'not a JPEG');
    const firstBuild = /no usable images.*nothing was published \(there is no previous build\)/;
    for (const source of [empty, unreadable]) {
      // A new folder, in a parent the build makes too: before, both stayed, with the marker and
      // empty thumbs/ and originals/ in them.
      await expect(build(source, join(base, 'new', 'data'), cache)).rejects.toThrow(firstBuild);
      expect(await readdir(base)).not.toContain('new');
    }
    // A folder of the person's own: theirs stays, and nothing else.
    const theirs = join(base, 'theirs');
    await mkdir(join(theirs, 'originals'), { recursive: true });
    await writeFile(join(theirs, 'notes.txt'), 'mine');
    await writeFile(join(theirs, 'originals', 'IMG_0001.jpg'), 'a photo');
    await expect(build(unreadable, theirs, cache)).rejects.toThrow(firstBuild);
    expect((await readdir(theirs, { recursive: true })).sort()).toEqual([
      'notes.txt',
      'originals',
      join('originals', 'IMG_0001.jpg'),
    ]);

    // A data dir that holds a build keeps it published, every file as it was.
    const out = join(base, 'built');
    await build(src, out, cache);
    const snapshot = async () => {
      const files = new Map<string, string>();
      for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
        const path = join(entry.parentPath, entry.name);
        files.set(path, entry.isFile() ? contentHash(await readFile(path)) : 'folder');
      }
      return files;
    };
    const before = await snapshot();
    await expect(build(empty, out, cache)).rejects.toThrow(/no usable images.*the previous build is kept/);
    expect(await snapshot()).toEqual(before);
    await verifyDataDir(out);
  });

  it('a build that fails after it started writing leaves the previous build intact', async () => {
    const { src, out, cache } = await workspace('injected-failure');
    await build(src, out, cache);
    const manifest = await readFile(join(out, 'manifest.json'));
    for (let i = 0; i < 5; i++) await writeFile(join(src, 'faces', `shape${i}.png`), await shapePng(100 + i));
    // The new images need the model, which is unloadable: thumbnails are written, then inference fails.
    const brokenModel = join(root, 'injected-failure', 'broken.onnx');
    await writeFile(brokenModel, 'not an onnx model');
    await expect(
      build(src, out, cache, { model: { spec: model.spec, onnxPath: brokenModel } }),
    ).rejects.toThrow(/cannot load model/);
    expect((await ownedFiles(out)).filter((f) => f.startsWith('thumbs/')).length).toBeGreaterThan(12);
    expect(await readFile(join(out, 'manifest.json'))).toEqual(manifest);
    expect((await verifyDataDir(out)).index.count).toBe(12);
    // The failed build released its lock and staging; the next one finishes the job from the cache.
    const { report } = await build(src, out, cache);
    expect(report.counts).toMatchObject({ indexed: 17, featurized: 5, cached: 12 });
    expect((await readdir(out)).filter((n) => n.startsWith('.') && n !== DATA_DIR_MARKER)).toEqual([]);
  });

  it('a build killed midway leaves the previous manifest and every file it references intact', async () => {
    const { src, out, cache } = await workspace('killed');
    await build(src, out, cache);
    const manifest = await readFile(join(out, 'manifest.json'));
    const before = new Set(await ownedFiles(out));
    await mkdir(join(src, 'shapes'));
    for (let i = 0; i < 80; i++) await writeFile(join(src, 'shapes', `s${i}.png`), await shapePng(200 + i));

    expect((await killMidway(src, out, cache, before)).length).toBeGreaterThan(0);

    expect(await readFile(join(out, 'manifest.json'))).toEqual(manifest);
    const data = await verifyDataDir(out);
    expect(data.index.count).toBe(12);

    const { report } = await build(src, out, cache);
    expect(report.counts.indexed).toBe(92);
    // Whatever the killed build featurized was kept in the cache.
    expect(report.counts.featurized + report.counts.cached).toBe(92);
    expect((await verifyDataDir(out)).index.count).toBe(92);
  });

  it('a first build killed before its manifest leaves nothing that stops the next one', async () => {
    const { src, out, cache } = await workspace('killed-first');
    expect((await killMidway(src, out, cache, new Set())).length).toBeGreaterThan(0);
    // Its thumbnails or originals, its lock and its staging: all under the builder's names.
    expect(await readdir(out)).toEqual(expect.arrayContaining(['.build.lock', '.staging']));
    expect(await readdir(out)).not.toContain('manifest.json');
    const { report } = await build(src, out, cache);
    expect(report.counts.indexed).toBe(12);
    expect((await verifyDataDir(out)).index.count).toBe(12);
  });

  it('a first build that failed leaves nothing that stops the next one', async () => {
    const { src, out, cache } = await workspace('failed-first');
    const brokenModel = join(root, 'failed-first', 'broken.onnx');
    await writeFile(brokenModel, 'not an onnx model');
    await expect(
      build(src, out, cache, { model: { spec: model.spec, onnxPath: brokenModel } }),
    ).rejects.toThrow(/cannot load model/);
    // It released its lock, and kept the thumbnails for the next build to reuse.
    expect((await ownedFiles(out)).length).toBeGreaterThan(0);
    expect((await build(src, out, cache)).report.counts.indexed).toBe(12);
  });

  it('refuses a folder no build wrote that holds files under its names, and changes nothing there', async () => {
    const { src, out, cache } = await workspace('foreign');
    // --data-dir ./public in a web project: its PWA manifest, and a folder of its own named .staging.
    const files: Record<string, string> = {
      'manifest.json': '{"name":"My app","start_url":"/","display":"standalone"}\n',
      '.staging/important.txt': 'the only copy',
      'build-report.json': '{"mine":true}',
      'index.html': '<!doctype html>',
    };
    await mkdir(join(out, '.staging'), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(out, name), text);
    const run = await runCli('buildIndexCli.ts', ['--source', src, '--data-dir', out, '--cache', cache]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `build-index: ${out} is not a data dir written by build-index, and a build would replace or ` +
        'delete what is there: .staging/, build-report.json, manifest.json (not a Lookalike manifest). ' +
        'Nothing was changed',
    );
    // Before, the PWA manifest was replaced by the build's and .staging/ was deleted with its file.
    expect((await readdir(out, { recursive: true })).sort()).toEqual([
      '.staging',
      '.staging/important.txt',
      'build-report.json',
      'index.html',
      'manifest.json',
    ]);
    for (const [name, text] of Object.entries(files))
      expect(await readFile(join(out, name), 'utf8')).toBe(text);
  });

  it('rebuilds a data dir written before builds marked theirs: its manifest says what it is', async () => {
    const { src, out, cache } = await workspace('unmarked');
    await build(src, out, cache);
    await rm(join(out, DATA_DIR_MARKER));
    await writeFile(join(src, 'faces', 'shape0.png'), await shapePng(300));
    const { report } = await build(src, out, cache);
    expect(report.counts).toMatchObject({ indexed: 13, featurized: 1, cached: 12 });
    expect(await readdir(out)).toContain(DATA_DIR_MARKER);
  });
});
