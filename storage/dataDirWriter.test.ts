import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATA_DIR_MARKER } from './dataDirNames';
import { DataDirWriter } from './dataDirWriter';

/** Bytes that look like a WebP of `payload` bytes to its RIFF header (what the size check reads). */
function webp(payload: number): Buffer {
  const bytes = Buffer.alloc(8 + payload);
  bytes.write('RIFF', 0, 'latin1');
  bytes.writeUInt32LE(payload, 4);
  bytes.write('WEBP', 8, 'latin1');
  return bytes;
}

describe('DataDirWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'data-dir-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('refuses a second writer while the first holds the lock, and releases it on close', async () => {
    const a = new DataDirWriter(dir);
    await a.open();
    const lock = join(dir, '.build.lock');
    // Another live process holds it (this test process stands in for that other build).
    await writeFile(lock, `${process.ppid}\n`);
    await expect(new DataDirWriter(dir).open()).rejects.toThrow(/another build \(pid \d+\) is writing/);
    await writeFile(lock, `${process.pid}\n`);
    await a.close();
    expect(await readdir(dir)).not.toContain('.build.lock');
  });

  it('takes over the lock and clears the staging a dead build left', async () => {
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    // What a build killed while writing leaves: its lock (here with a dead pid) and staging.
    await new DataDirWriter(dir).open();
    await writeFile(join(dir, '.build.lock'), `${dead}\n`);
    await writeFile(join(dir, '.staging', 'half-written'), 'x');
    const w = new DataDirWriter(dir);
    await w.open();
    expect(await readdir(join(dir, '.staging'))).toEqual([]);
    expect((await readFile(join(dir, '.build.lock'), 'utf8')).trim()).toBe(String(process.pid));
    await w.close();
  });

  it('gives the lock to one of several builds that start at once', async () => {
    // Each process opens a writer on the same fresh folders at the same instants and says which it
    // got. The lock once appeared empty for a moment, and a racing build took that for a dead one's.
    const rounds = 30;
    const start = Date.now() + 1500;
    const script = `
      const { DataDirWriter } = await import(${JSON.stringify(new URL('./dataDirWriter.ts', import.meta.url).pathname)});
      const got = [];
      for (let i = 0; i < ${rounds}; i++) {
        while (Date.now() < ${start} + i * 100) await new Promise((r) => setImmediate(r));
        if (await new DataDirWriter(${JSON.stringify(dir)} + '/round-' + i).open().then(() => true, () => false)) got.push(i);
      }
      process.stdout.write(JSON.stringify(got) + '\\n');
      // A holder that exits leaves a dead build's lock, which a late racer rightly takes: all stay alive
      // until every one has answered.
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));`;
    const children: ChildProcess[] = [];
    const racer = () =>
      new Promise<number[]>((done, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
        children.push(child);
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.endsWith('\n')) done(JSON.parse(out) as number[]);
        });
        child.on('error', fail);
        child.on('close', () => fail(new Error(`a racer exited without an answer: ${out}`)));
      });
    let results: number[][];
    try {
      results = await Promise.all([racer(), racer(), racer()]);
    } finally {
      for (const child of children) child.stdin?.end();
    }
    const holders = Array.from({ length: rounds }, (_, i) => results.filter((r) => r.includes(i)).length);
    expect(holders).toEqual(Array(rounds).fill(1));
  });

  it('says which folder on the way cannot be made, and why', async () => {
    await writeFile(join(dir, 'a-file'), 'x');
    await symlink(join(dir, 'nowhere'), join(dir, 'dangling'));
    const opening = (path: string) => new DataDirWriter(join(dir, path)).open();
    await expect(opening('a-file/data')).rejects.toThrow(
      /cannot be made: a file is in the way \(\S+a-file\)/,
    );
    await expect(opening('dangling/data')).rejects.toThrow(/\S+dangling is a symbolic link to nothing/);
    // /proc holds no folders of ours: recursive mkdir spun there for ever; now it is one clear error.
    await expect(new DataDirWriter('/proc/lookalike-test/data').open()).rejects.toThrow(
      /cannot be made: \/proc\/lookalike-test: the file system there does not allow new folders/,
    );
    const deep = new DataDirWriter(join(dir, 'new', 'deeper', 'data'));
    await deep.open();
    await deep.close();
  });

  it('writes only inside the data dir', async () => {
    const w = new DataDirWriter(join(dir, 'data'));
    await w.open();
    for (const name of [
      'originals/0123456789abcdef./../../../escaped.txt',
      '../x',
      '/etc/x',
      'a//b',
      './x',
    ]) {
      await expect(w.putContentAddressed(name, Buffer.from('x')), name).rejects.toThrow(/not a plain path/);
      await expect(w.replaceAtomically(name, Buffer.from('x')), name).rejects.toThrow(/not a plain path/);
    }
    await w.close();
    // Nothing outside it; and having published nothing, the data dir it made went again too.
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps an existing content-addressed file, replaces one damaged since, and replaces the manifest atomically', async () => {
    const w = new DataDirWriter(dir);
    await w.open();
    expect(await w.putContentAddressed('thumbs/abc.webp', Buffer.from('first'))).toBe(true);
    // Thousands of media files are checked by size alone: same size, kept as it is.
    expect(await w.putContentAddressed('thumbs/abc.webp', Buffer.from('other'))).toBe(false);
    expect(await readFile(join(dir, 'thumbs/abc.webp'), 'utf8')).toBe('first');
    // Truncated (a half copy, a disk error): written again.
    await writeFile(join(dir, 'thumbs/abc.webp'), 'fi');
    expect(await w.putContentAddressed('thumbs/abc.webp', Buffer.from('first'))).toBe(true);
    expect(await readFile(join(dir, 'thumbs/abc.webp'), 'utf8')).toBe('first');
    // A build's own files are compared whole: a flipped byte is found too.
    const index = 'index.0123456789abcdef.bin';
    expect(await w.putContentAddressed(index, Buffer.from('index bytes'))).toBe(true);
    expect(await w.putContentAddressed(index, Buffer.from('index bytes'))).toBe(false);
    await writeFile(join(dir, index), 'index byteZ');
    expect(await w.putContentAddressed(index, Buffer.from('index bytes'))).toBe(true);
    expect(await readFile(join(dir, index), 'utf8')).toBe('index bytes');
    await rm(join(dir, index));
    await w.putManifest(Buffer.from('{"a":1}'));
    await w.putManifest(Buffer.from('{"a":2}'));
    expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toBe('{"a":2}');
    await w.close();
    expect((await readdir(dir)).sort()).toEqual([DATA_DIR_MARKER, 'manifest.json', 'originals', 'thumbs']);
  });

  it('deletes only builder-owned files that nothing references', async () => {
    const w = new DataDirWriter(dir);
    await w.open();
    const names = [
      'index.0123456789abcdef.bin',
      'index.fedcba9876543210.bin',
      'catalog.0123456789abcdef.json',
      'model.0123456789abcdef.onnx',
      'thumbs/1111111111111111.webp',
      'thumbs/2222222222222222.webp',
      'originals/2222222222222222.png',
    ];
    for (const n of names) await w.putContentAddressed(n, Buffer.from(n));
    await writeFile(join(dir, 'README.md'), 'not ours');
    await writeFile(join(dir, 'index.html'), 'not ours either');
    // The user's own files in folders named like the builder's: --data-dir was a folder that held them.
    await writeFile(join(dir, 'originals', 'RAW_0001.png'), 'a photo');
    await writeFile(join(dir, 'originals', '2222222222222222.png.xmp'), 'its sidecar');
    await writeFile(join(dir, 'thumbs', 'notes.txt'), 'notes');
    // The first manifest in the dir: no earlier build whose files a reader could still need.
    await w.putManifest(Buffer.from('{"build":1}'));
    const removed = await w.collectGarbage(
      new Set([
        'index.0123456789abcdef.bin',
        'catalog.0123456789abcdef.json',
        'thumbs/1111111111111111.webp',
      ]),
    );
    expect(removed).toBe(4);
    expect((await readdir(dir)).sort()).toEqual([
      '.build.lock',
      DATA_DIR_MARKER,
      '.staging',
      'README.md',
      'catalog.0123456789abcdef.json',
      'index.0123456789abcdef.bin',
      'index.html',
      'manifest.json',
      'media-sizes.json',
      'originals',
      'retained-files.json',
      'thumbs',
    ]);
    expect((await readdir(join(dir, 'thumbs'))).sort()).toEqual(['1111111111111111.webp', 'notes.txt']);
    expect((await readdir(join(dir, 'originals'))).sort()).toEqual([
      '2222222222222222.png.xmp',
      'RAW_0001.png',
    ]);
    await w.close();
  });

  /** One build the way publishBuild does it: files in, manifest switched, garbage collected. */
  async function publish(build: number, files: string[]): Promise<number> {
    const w = new DataDirWriter(dir);
    await w.open();
    for (const f of files) await w.putContentAddressed(f, Buffer.from(f));
    await w.putManifest(Buffer.from(`{"build":${build}}`));
    const removed = await w.collectGarbage(new Set(files));
    await w.close();
    return removed;
  }

  async function present(): Promise<string[]> {
    const top = (await readdir(dir)).filter((n) => /^(index|catalog)\./.test(n));
    const thumbs = (await readdir(join(dir, 'thumbs'))).map((n) => `thumbs/${n}`);
    return [...top, ...thumbs].sort();
  }

  const buildFiles = (hex: string, thumbs: string[]) => [
    `index.${hex.repeat(16)}.bin`,
    `catalog.${hex.repeat(16)}.json`,
    // Thumbnails are named by 16 hex digits of the image's hash: 'a' stands for aaaaaaaaaaaaaaaa.
    ...thumbs.map((t) => `thumbs/${t.repeat(16)}.webp`),
  ];

  it('keeps the previous build for readers still on it, and removes it with the build after', async () => {
    // 'f' is a thumbnail all three builds share.
    const first = buildFiles('1', ['a', 'f']);
    const second = buildFiles('2', ['b', 'f']);
    const third = buildFiles('3', ['c', 'f']);
    expect(await publish(1, first)).toBe(0);
    // Two builds: the first one's files are all still there for a tab that holds its manifest.
    expect(await publish(2, second)).toBe(0);
    expect(await present()).toEqual([...new Set([...first, ...second])].sort());
    // The third build drops the first one's files and keeps the second's.
    expect(await publish(3, third)).toBe(3);
    expect(await present()).toEqual([...new Set([...second, ...third])].sort());
    expect(await publish(4, third)).toBe(3);
    expect(await present()).toEqual(third.sort());
  });

  it('deletes nothing when it cannot tell what the previous build used, nor when the manifest did not change', async () => {
    const first = buildFiles('1', ['a']);
    const second = buildFiles('2', ['b']);
    await publish(1, first);
    // A data dir written before the record existed (or a build killed before it collected).
    await rm(join(dir, 'retained-files.json'));
    expect(await publish(2, second)).toBe(0);
    expect(await present()).toEqual([...first, ...second].sort());
    // Republishing the same manifest keeps the grace list for the next real switch.
    expect(await publish(2, second)).toBe(0);
    expect(await present()).toEqual([...first, ...second].sort());
    expect(await publish(3, second)).toBe(3);
    expect(await present()).toEqual(second.sort());
  });

  it('takes a thumbnail or original for stored only when intact: its recorded size, or a thumbnail’s own header', async () => {
    const thumb = webp(40);
    const w = new DataDirWriter(dir);
    await w.open();
    // Left by an earlier build that recorded no sizes: a thumbnail checks itself, an original is taken.
    await writeFile(join(dir, 'thumbs', 'aaaaaaaaaaaaaaaa.webp'), thumb);
    await writeFile(join(dir, 'originals', 'aaaaaaaaaaaaaaaa.png'), 'original');
    await writeFile(join(dir, 'thumbs', 'cccccccccccccccc.webp'), thumb.subarray(0, 30));
    expect(await w.has('thumbs/aaaaaaaaaaaaaaaa.webp')).toBe(true);
    expect(await w.has('originals/aaaaaaaaaaaaaaaa.png')).toBe(true);
    expect(await w.has('thumbs/bbbbbbbbbbbbbbbb.webp')).toBe(false);
    // Truncated: its header says 48 bytes.
    expect(await w.has('thumbs/cccccccccccccccc.webp')).toBe(false);
    expect(await w.putContentAddressed('thumbs/cccccccccccccccc.webp', thumb, false)).toBe(true);
    // Written after the build started, by this writer or another: seen on the disk.
    await w.putContentAddressed('originals/bbbbbbbbbbbbbbbb.png', new Uint8Array([1]), false);
    await writeFile(join(dir, 'thumbs', 'bbbbbbbbbbbbbbbb.webp'), thumb);
    expect(await w.has('originals/bbbbbbbbbbbbbbbb.png')).toBe(true);
    expect(await w.has('thumbs/bbbbbbbbbbbbbbbb.webp')).toBe(true);
    expect(await w.has('manifest.json')).toBe(false);
    await w.putManifest(Buffer.from('{"build":1}'));
    const media = ['thumbs', 'originals'].flatMap((sub) =>
      ['a', 'b', 'c'].map((c) => `${sub}/${c.repeat(16)}.${sub === 'thumbs' ? 'webp' : 'png'}`),
    );
    await w.collectGarbage(new Set(media));
    await w.close();
    expect(w.repaired).toEqual({ thumbnails: 1, originals: 0 });

    // The next build checks each against the size recorded: truncated or grown is damaged.
    await writeFile(join(dir, 'originals', 'aaaaaaaaaaaaaaaa.png'), 'orig');
    await writeFile(join(dir, 'originals', 'bbbbbbbbbbbbbbbb.png'), 'longer');
    const next = new DataDirWriter(dir);
    await next.open();
    expect(await next.has('originals/aaaaaaaaaaaaaaaa.png')).toBe(false);
    expect(await next.has('originals/bbbbbbbbbbbbbbbb.png')).toBe(false);
    for (const c of ['a', 'b', 'c']) expect(await next.has(`thumbs/${c.repeat(16)}.webp`)).toBe(true);
    await next.close();
  });

  it('writes a thumbnail found damaged again though the new one is the same size', async () => {
    const w = new DataDirWriter(dir);
    await w.open();
    // Not a WebP at all, and no size recorded: nothing says it is the thumbnail but its name.
    await writeFile(join(dir, 'thumbs', 'aaaaaaaaaaaaaaaa.webp'), Buffer.alloc(48));
    expect(await w.has('thumbs/aaaaaaaaaaaaaaaa.webp')).toBe(false);
    expect(await w.putContentAddressed('thumbs/aaaaaaaaaaaaaaaa.webp', webp(40), false)).toBe(true);
    expect(await readFile(join(dir, 'thumbs', 'aaaaaaaaaaaaaaaa.webp'))).toEqual(webp(40));
    await w.close();
  });
});
