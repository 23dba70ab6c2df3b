import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duplicatesSummary, encodeDuplicates } from '../core/duplicatesFormat';
import { contentAddressedName, fileRefFor } from '../core/manifest';
import { RETAINED_FILES } from '../storage/dataDirNames';
import { writeFixtureData, type FixtureData } from '../testing/deployFixture';
import { assertDataDirReady, readPublishedDataSet } from './publishedDataSet';
import { isContentAddressed } from './publishRules';

let tmp: string;
let v1: FixtureData;
let v2: FixtureData;
const v2Dir = () => join(tmp, 'v2');

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'published-data-set-'));
  v1 = await writeFixtureData(join(tmp, 'v1'), 1);
  v2 = await writeFixtureData(v2Dir(), 2);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** What a builder leaves after rebuilding v1 into v2: v1's files kept for a grace period. */
async function retainV1(manifestSha256?: string): Promise<string[]> {
  const v1Only = v1.referenced.filter((p) => !v2.referenced.includes(p));
  for (const p of v1Only) {
    await mkdir(dirname(join(v2Dir(), p)), { recursive: true });
    await copyFile(join(tmp, 'v1', p), join(v2Dir(), p));
  }
  const manifest = await readFile(join(v2Dir(), 'manifest.json'));
  const sha = manifestSha256 ?? createHash('sha256').update(manifest).digest('hex');
  // The builder records top-level names: a shard folder (the catalog's) by its name.
  const topLevel = [...new Set(v1Only.map((p) => (p.startsWith('shards.') ? p.split('/')[0] : p)))];
  await writeFile(
    join(v2Dir(), RETAINED_FILES),
    JSON.stringify({ version: 1, manifestSha256: sha, files: [...topLevel, 'originals/evil.svg'] }),
  );
  return v1Only;
}

const present = (extra: string[]) =>
  new Set(['manifest.json', ...v2.referenced, ...extra, 'originals/evil.svg']);

describe('readPublishedDataSet', () => {
  it("publishes the previous build's retained build files too, so open tabs keep working on the host, but never its thumbnails and originals", async () => {
    const v1Only = await retainV1();
    const { paths, media } = await readPublishedDataSet(v2Dir(), present(v1Only));
    const isMedia = (p: string) => /^(thumbs|originals)\//.test(p);
    expect(v1Only.filter(isMedia)).toHaveLength(6);
    expect(v1Only.filter((p) => !isMedia(p)).length).toBeGreaterThan(0);
    for (const p of [...v2.referenced, ...v1Only.filter((p) => !isMedia(p))]) expect(paths.has(p)).toBe(true);
    // Images removed from the collection, or originals with the metadata a rebuild took out: a tab on
    // the previous build shows them as unavailable and moves to the current build.
    for (const p of v1Only.filter(isMedia)) expect(paths.has(p)).toBe(false);
    expect([...media].sort()).toEqual(v2.referenced.filter(isMedia).sort());
    // Never anything a browser could run, whatever the record says.
    expect(paths.has('originals/evil.svg')).toBe(false);
    expect(paths.has(RETAINED_FILES)).toBe(false);
  });

  it('ignores a record written for another manifest', async () => {
    const v1Only = await retainV1('0'.repeat(64));
    const { paths } = await readPublishedDataSet(v2Dir(), present(v1Only));
    for (const p of v1Only) expect(paths.has(p)).toBe(false);
    expect([...paths].sort()).toEqual(['manifest.json', ...v2.referenced].sort());
  });

  /** Writes a sharded duplicates file and its shards into `dir`; returns its name, shard paths and field. */
  async function writeDuplicates(dir: string, count: number) {
    const level = { threshold: 0.8, groups: [{ members: [0, 1], scores: [1, 0.9], minScore: 0.9 }] };
    const encoded = encodeDuplicates({
      count,
      thresholdSource: 'default',
      levels: { 'near-identical': level, 'very-similar': level, similar: level },
      shardSize: 1,
    });
    const name = contentAddressedName('duplicates', 'json', encoded.bytes);
    await writeFile(join(dir, name), encoded.bytes);
    for (const [path, bytes] of encoded.shards) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), bytes);
    }
    const field = { ...duplicatesSummary(encoded.file), file: fileRefFor(name, encoded.bytes) };
    return { name, folder: encoded.file.dir!.replace(/\/$/, ''), shards: [...encoded.shards.keys()], field };
  }

  it("publishes the previous build's duplicate groups too (retained like its index)", async () => {
    const dir = join(tmp, 'retained-duplicates');
    await writeFixtureData(dir, 2);
    const manifest = await readFile(join(dir, 'manifest.json'));
    const old = await writeDuplicates(dir, 4);
    await writeFile(
      join(dir, RETAINED_FILES),
      JSON.stringify({
        version: 1,
        manifestSha256: createHash('sha256').update(manifest).digest('hex'),
        files: [old.name, old.folder],
      }),
    );
    const { paths } = await readPublishedDataSet(
      dir,
      new Set(['manifest.json', ...v2.referenced, old.name, ...old.shards]),
    );
    for (const p of [old.name, ...old.shards]) expect(paths.has(p)).toBe(true);
  });

  it('publishes the duplicate groups file and its shards, immutable, and fails when a shard is missing', async () => {
    const dir = join(tmp, 'with-duplicates');
    await writeFixtureData(dir, 2);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { count: number };
    const { name, shards, field } = await writeDuplicates(dir, manifest.count);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, duplicates: field }));
    expect(shards).toHaveLength(3);
    const { paths } = await readPublishedDataSet(
      dir,
      new Set(['manifest.json', ...v2.referenced, name, ...shards]),
    );
    for (const p of [name, ...shards]) {
      expect(paths.has(p)).toBe(true);
      expect(isContentAddressed(`data/${p}`)).toBe(true);
    }
    await expect(
      readPublishedDataSet(dir, new Set(['manifest.json', ...v2.referenced, name, ...shards.slice(1)])),
    ).rejects.toThrow(/duplicates shard .* is missing/);
  });

  it('refuses a manifest that names a page or a script, and never publishes one from a retained folder', async () => {
    // A hand-made data dir: what the builder writes never has these types (audit, December 2026).
    const page = '<!doctype html><script>document.title = document.domain</script>';
    const dir = join(tmp, 'runnable');
    await writeFixtureData(dir, 2);
    const manifestText = await readFile(join(dir, 'manifest.json'), 'utf8');
    const manifest = JSON.parse(manifestText) as { model: Record<string, unknown> };
    const name = contentAddressedName('model', 'html', new TextEncoder().encode(page));
    await writeFile(join(dir, name), page);
    const file = fileRefFor(name, new TextEncoder().encode(page));
    const named = JSON.stringify({ ...manifest, model: { ...manifest.model, file } });
    await writeFile(join(dir, 'manifest.json'), named);
    await expect(
      readPublishedDataSet(dir, new Set(['manifest.json', ...v2.referenced, name])),
    ).rejects.toThrow(
      /names 1 files of a type browsers can run or show as a page \(e\.g\. model\.[0-9a-f]{16}\.html\)/,
    );

    await writeFile(join(dir, 'manifest.json'), manifestText);
    const folder = 'neighbours.0123456789abcdef';
    await mkdir(join(dir, folder));
    const inFolder = [`${folder}/0.bin`, `${folder}/x.html`, `${folder}/y.svg`, `${folder}/z.js`];
    for (const p of inFolder) await writeFile(join(dir, p), page);
    await writeFile(
      join(dir, RETAINED_FILES),
      JSON.stringify({
        version: 1,
        manifestSha256: createHash('sha256').update(manifestText).digest('hex'),
        files: [folder],
      }),
    );
    const { paths } = await readPublishedDataSet(
      dir,
      new Set(['manifest.json', ...v2.referenced, ...inFolder]),
    );
    expect(inFolder.filter((p) => paths.has(p))).toEqual([`${folder}/0.bin`]);
  });
});

describe('assertDataDirReady', () => {
  it('refuses a data dir a live build is writing, and publishes past a lock a stopped build left', async () => {
    const dir = join(tmp, 'locked');
    await writeFixtureData(dir, 1);
    await assertDataDirReady(dir, () => {});
    // This test's own process stands for a build that runs.
    await writeFile(join(dir, '.build.lock'), `${process.pid}\n`);
    await expect(assertDataDirReady(dir, () => {})).rejects.toThrow(
      new RegExp(`a build \\(pid ${process.pid}\\) is writing .*deploy once it has finished`),
    );
    // A pid no process has (Ctrl-C on a build leaves its lock), and a lock that is not a pid.
    for (const [text, pid] of [
      ['999999999\n', ' (pid 999999999)'],
      ['', ''],
    ] as const) {
      await writeFile(join(dir, '.build.lock'), text);
      const lines: string[] = [];
      await assertDataDirReady(dir, (l) => lines.push(l));
      expect(lines).toEqual([
        `.build.lock in ${dir} is left by a build that stopped${pid}: publishing the last finished build (the next build-index removes the lock)`,
      ]);
    }
  });
});
