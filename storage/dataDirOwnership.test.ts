import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILDER_NAMES, DATA_DIR_MARKER } from './dataDirNames';
import { DataDirWriter } from './dataDirWriter';

/** Every file under `dir` with its bytes, by path: what must be the same after a refused build. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    files.set(path.slice(dir.length + 1), entry.isFile() ? await readFile(path, 'base64') : '<dir>');
  }
  return files;
}

async function put(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

describe('a data dir the builder did not write', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'foreign-data-dir-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is refused before anything is written or deleted, naming what is in the way', async () => {
    // --data-dir ./public in a web project: a PWA manifest, and user files under the builder's names.
    await put(dir, {
      'manifest.json': '{"name":"My PWA","start_url":"/"}',
      '.staging/important.txt': 'the only copy',
      'build-report.json': '{"mine":true}',
      'projections.bin': 'mine',
      'shards.0123456789abcdef/mine.txt': 'mine',
      'originals/0123456789abcdef.png': 'mine',
      'originals/IMG_0001.jpg': 'a photo',
      'index.html': '<!doctype html>',
    });
    const before = await snapshot(dir);
    const refused = new DataDirWriter(dir).open();
    await expect(refused).rejects.toThrow(
      `${dir} is not a data dir written by build-index, and a build would replace or delete what is there: ` +
        '.staging/, build-report.json, manifest.json (not a Lookalike manifest), ' +
        'originals/0123456789abcdef.png, projections.bin, shards.0123456789abcdef/. Nothing was changed',
    );
    await expect(refused).rejects.toThrow(/choose an empty or new folder as the data dir/);
    // Byte for byte, and no lock, staging or marker left.
    expect(await snapshot(dir)).toEqual(before);
  });

  it.each([...BUILDER_NAMES])('is refused when it holds %s', async (name) => {
    await writeFile(join(dir, name), 'the user’s');
    await expect(new DataDirWriter(dir).open()).rejects.toThrow(`what is there: ${name}`);
    expect(await readdir(dir)).toEqual([name]);
    expect(await readFile(join(dir, name), 'utf8')).toBe('the user’s');
  });

  it('is written when nothing in it has the builder’s names, and the user’s files stay', async () => {
    await put(dir, {
      'index.html': '<!doctype html>',
      'notes.json': '{}',
      'originals/IMG_0001.jpg': 'a photo',
      'thumbs/holiday.webp': 'a thumbnail of mine',
    });
    const before = await snapshot(dir);
    const w = new DataDirWriter(dir);
    await w.open();
    await w.putContentAddressed('thumbs/aaaaaaaaaaaaaaaa.webp', Buffer.from('x'));
    await w.putManifest(Buffer.from('{"build":1}'));
    await w.collectGarbage(new Set());
    await w.close();
    const after = await snapshot(dir);
    for (const [path, bytes] of before) expect(after.get(path), path).toBe(bytes);
    expect(after.has(DATA_DIR_MARKER)).toBe(true);
  });

  it('is a new folder or an empty one', async () => {
    for (const folder of [join(dir, 'new', 'data'), dir]) {
      const w = new DataDirWriter(folder);
      await w.open();
      expect(await readdir(folder)).toContain(DATA_DIR_MARKER);
      await w.putManifest(Buffer.from('{"build":1}'));
      await w.close();
      expect(await readdir(folder)).toContain(DATA_DIR_MARKER);
    }
  });

  it('is left as it was found by a first build that publishes nothing', async () => {
    // A new folder: it goes, with the parents the build made for it; what was there before stays.
    const w = new DataDirWriter(join(dir, 'new', 'deeper', 'data'));
    await w.open();
    expect((await readdir(join(dir, 'new', 'deeper', 'data'))).sort()).toEqual([
      '.build.lock',
      DATA_DIR_MARKER,
      '.staging',
      'originals',
      'thumbs',
    ]);
    await w.close();
    expect(await readdir(dir)).toEqual([]);

    // A folder of the user's, with an originals/ of its own: only what the build made goes.
    await put(dir, { 'index.html': '<!doctype html>', 'originals/IMG_0001.jpg': 'a photo' });
    const before = await snapshot(dir);
    const mine = new DataDirWriter(dir);
    await mine.open();
    await mine.close();
    expect(await snapshot(dir)).toEqual(before);

    // One whose build was refused (another holds the lock) made nothing it could take back.
    const held = new DataDirWriter(join(dir, 'held'));
    await held.open();
    await writeFile(join(dir, 'held', '.build.lock'), `${process.ppid}\n`);
    await expect(new DataDirWriter(join(dir, 'held')).open()).rejects.toThrow(/another build/);
    expect(await readdir(join(dir, 'held'))).toContain(DATA_DIR_MARKER);
  });

  it('keeps the marker after a first build that published nothing but left files for the next one', async () => {
    const w = new DataDirWriter(join(dir, 'data'));
    await w.open();
    await w.putContentAddressed('thumbs/aaaaaaaaaaaaaaaa.webp', Buffer.from('x'), false);
    await w.close();
    // The next build must be able to claim (and reuse) what is under the builder's names.
    expect((await readdir(join(dir, 'data'))).sort()).toEqual([DATA_DIR_MARKER, 'thumbs']);
    const next = new DataDirWriter(join(dir, 'data'));
    await next.open();
    await next.close();
  });
});

describe('a data dir a build wrote', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'own-data-dir-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is left as it is by a later build that publishes nothing', async () => {
    const first = new DataDirWriter(dir);
    await first.open();
    await first.putContentAddressed('thumbs/aaaaaaaaaaaaaaaa.webp', Buffer.from('x'), false);
    await first.putManifest(Buffer.from('{"build":1}'));
    await first.collectGarbage(new Set(['thumbs/aaaaaaaaaaaaaaaa.webp']));
    await first.close();
    await rm(join(dir, 'originals'), { recursive: true });
    const before = await snapshot(dir);
    const w = new DataDirWriter(dir);
    await w.open();
    await w.close();
    // Even the originals/ this build made back is taken back; the marker and the build stay.
    expect(await snapshot(dir)).toEqual(before);
  });

  it('is written again after its first build died before the manifest, whatever that build left', async () => {
    const killed = new DataDirWriter(dir);
    await killed.open();
    await killed.putContentAddressed('originals/aaaaaaaaaaaaaaaa.png', Buffer.from('x'), false);
    await killed.putContentAddressed('index.aaaaaaaaaaaaaaaa.bin', Buffer.from('x'));
    await killed.replaceAtomically('source-files.unfinished.json', Buffer.from('{}'));
    // Never closed: its lock and staging stay, with the pid of a build that is gone.
    await writeFile(join(dir, '.build.lock'), '999999999\n');
    await writeFile(join(dir, '.staging', 'half-written'), 'x');

    const w = new DataDirWriter(dir);
    await w.open();
    expect(await readdir(join(dir, '.staging'))).toEqual([]);
    expect(await readFile(join(dir, 'originals/aaaaaaaaaaaaaaaa.png'), 'utf8')).toBe('x');
    await w.putManifest(Buffer.from('{"build":1}'));
    // Nothing before this manifest: what this build does not reference goes.
    expect(await w.collectGarbage(new Set(['originals/aaaaaaaaaaaaaaaa.png']))).toBe(1);
    await w.close();
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([DATA_DIR_MARKER]);
  });

  it('replaces only the fixed names the ownership check knows', async () => {
    const w = new DataDirWriter(dir);
    await w.open();
    await expect(w.replaceAtomically('notes.json', Buffer.from('{}'))).rejects.toThrow(
      /refusing to replace notes\.json: not one of BUILDER_NAMES/,
    );
    await w.close();
  });
});
