import { execFileSync } from 'node:child_process';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  symlink,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATA_DIR_MARKER } from '../storage/dataDirNames';
import { FolderSource } from './folderSource';
import { SourceChangedError } from './imageSource';

/** Whether chmod 000 stops this process from listing a folder (not as root with CAP_DAC_OVERRIDE). */
async function permissionsBindUs(dir: string): Promise<boolean> {
  const probe = join(dir, 'probe');
  await mkdir(probe);
  await chmod(probe, 0o000);
  const bound = await readdir(probe).then(
    () => false,
    () => true,
  );
  await chmod(probe, 0o700);
  await rm(probe, { recursive: true });
  return bound;
}

describe('FolderSource', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'folder-source-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('makes sub-folders albums, keeps nested paths, skips hidden files and reports the meta file apart', async () => {
    const root = join(dir, 'Holiday');
    await mkdir(join(root, 'beach', 'day 2'), { recursive: true });
    await mkdir(join(root, '.thumbnails'), { recursive: true });
    await writeFile(join(root, 'beach', 'a.jpg'), 'a');
    await writeFile(join(root, 'beach', 'day 2', 'b.jpg'), 'bb');
    await writeFile(join(root, 'cover.png'), 'ccc');
    await writeFile(join(root, '.DS_Store'), 'x');
    await writeFile(join(root, '.thumbnails', 'z.png'), 'x');
    await writeFile(join(root, 'lookalike-meta.json'), '{"beach/a.jpg": {"place": "Nice"}}');
    await symlink(join(root, 'beach', 'a.jpg'), join(root, 'beach', 'link.jpg'));

    const source = new FolderSource(root);
    const { entries, metaFile, skipped } = await source.list();
    expect(entries.map((e) => [e.album, e.path, e.key, e.size])).toEqual([
      ['Holiday', 'cover.png', 'Holiday/cover.png', 3],
      ['beach', 'a.jpg', 'beach/a.jpg', 1],
      ['beach', 'day 2/b.jpg', 'beach/day 2/b.jpg', 2],
    ]);
    // The link leads to a file listed by its own path: listed once, there.
    expect(skipped).toEqual([
      {
        key: 'beach/link.jpg',
        reason: 'linked-twice',
        message:
          'reaches beach/a.jpg through a symbolic link, a file already listed as beach/a.jpg: not listed again',
      },
    ]);
    expect(metaFile?.size).toBeGreaterThan(0);
    expect(Buffer.from(await source.read(entries[2])).toString()).toBe('bb');
    expect(await source.readMeta()).toEqual({ 'beach/a.jpg': { place: 'Nice' } });
  });

  it('reports file and folder names that are not UTF-8 instead of losing them', async () => {
    const root = join(dir, 'names');
    await mkdir(join(root, 'album'), { recursive: true });
    const raw = (...parts: (string | Buffer)[]) =>
      Buffer.concat([Buffer.from(`${root}/`), ...parts.map((p) => Buffer.from(p))]);
    // Latin-1 é, an invalid byte, and a valid U+FFFD: read as strings, the first two became the third.
    await writeFile(raw('album/photo', Buffer.from([0xe9]), '.jpg'), 'a');
    await writeFile(raw('album/bad', Buffer.from([0xff]), '.png'), 'b');
    await writeFile(join(root, 'album', 'bad\ufffd.png'), 'c');
    await mkdir(raw('alb', Buffer.from([0xc3, 0x28])));
    await writeFile(raw('alb', Buffer.from([0xc3, 0x28]), '/d.png'), 'd');
    const source = new FolderSource(root);
    const { entries, skipped } = await source.list();
    expect(entries.map((e) => e.key)).toEqual(['album/bad\ufffd.png']);
    expect(Buffer.from(await source.read(entries[0])).toString()).toBe('c');
    expect(skipped.map((s) => [s.key, s.reason, s.message])).toEqual([
      ['album/bad\ufffd.png', 'bad-key', expect.stringMatching(/not UTF-8 \(bytes 626164ff2e706e67\)/)],
      ['album/photo\ufffd.jpg', 'bad-key', expect.stringMatching(/not UTF-8 \(bytes 70686f746fe92e6a7067\)/)],
      ['alb\ufffd(/', 'bad-key', expect.stringMatching(/not UTF-8 \(bytes 616c62c328\)/)],
    ]);
  });

  it('follows links only inside the source, and reports links leading out or round in a loop', async () => {
    const root = join(dir, 'Holiday');
    await mkdir(join(root, 'beach', 'day 2'), { recursive: true });
    await mkdir(join(dir, 'private'));
    await writeFile(join(dir, 'private', 'secret.jpg'), 'secret');
    await writeFile(join(root, 'beach', 'a.jpg'), 'a');
    await writeFile(join(root, 'beach', 'day 2', 'b.jpg'), 'bb');
    await symlink(join(dir, 'private', 'secret.jpg'), join(root, 'beach', 'escape.jpg'));
    await symlink('../../private', join(root, 'beach', 'escape-folder'));
    await symlink('..', join(root, 'beach', 'day 2', 'up')); // back to beach: a loop
    await symlink('.', join(root, 'beach', 'here')); // itself: a loop
    await symlink('day 2', join(root, 'beach', 'second day')); // inside, no loop, but listed as day 2
    await symlink('nothing', join(root, 'beach', 'dangling.jpg'));
    await symlink('ring-b', join(root, 'ring-a'));
    await symlink('ring-a', join(root, 'ring-b'));

    const { entries, skipped } = await new FolderSource(root).list();
    expect(entries.map((e) => e.key)).toEqual(['beach/a.jpg', 'beach/day 2/b.jpg']);
    expect(skipped.map((s) => [s.key, s.reason])).toEqual([
      ['beach/dangling.jpg', 'unreadable'],
      ['beach/day 2/up/', 'symlink-loop'],
      ['beach/escape-folder', 'outside-source'],
      ['beach/escape.jpg', 'outside-source'],
      ['beach/here/', 'symlink-loop'],
      ['beach/second day/', 'linked-twice'],
      ['ring-a/', 'symlink-loop'],
      ['ring-b/', 'symlink-loop'],
    ]);
    expect(skipped.find((s) => s.key === 'beach/escape.jpg')?.message).toMatch(/outside the source folder/);
  });

  it('walks a folder through links once: a chain of folders with two links to each next lists in linear time', async () => {
    // 20 levels of two links each would list 2^20 paths to the last folder's one image.
    const root = join(dir, 'diamond');
    const levels = 20;
    for (let i = 0; i <= levels; i++) await mkdir(join(root, `d${i}`), { recursive: true });
    for (let i = 0; i < levels; i++)
      for (const link of ['x', 'y']) await symlink(`../d${i + 1}`, join(root, `d${i}`, link));
    await writeFile(join(root, `d${levels}`, 'deep.png'), 'png');
    const { entries, skipped } = await new FolderSource(root).list();
    // Each folder is walked once, by its own path, before any link is followed: every link (two per
    // level) is reported, each naming that path.
    expect(entries.map((e) => e.key)).toEqual([`d${levels}/deep.png`]);
    expect(skipped.map((s) => s.reason)).toEqual(Array(2 * levels).fill('linked-twice'));
    expect(skipped.find((s) => s.key === 'd0/y/')?.message).toBe(
      'reaches d1 through a symbolic link, a folder already listed as d1/: not listed again',
    );
  });

  describe('lists a file once however many paths lead to it, by its own path where it has one', () => {
    it('a linked album and two links to one folder, whichever sort first, and nothing inside them', async () => {
      // Reached through a link itself: the source is named as people name it, not by its real path.
      const real = join(dir, 'disk', 'photos');
      const root = join(dir, 'photos');
      await mkdir(join(real, '2019', 'summer', 'beach'), { recursive: true });
      await symlink(real, root);
      await writeFile(join(real, '2019', 'summer', 'a.jpg'), 'a');
      await writeFile(join(real, '2019', 'summer', 'beach', 'b.jpg'), 'b');
      await writeFile(join(real, '2019', 'new-year.jpg'), 'n');
      await symlink('2019/summer', join(real, 'Best')); // sorts after 2019
      await symlink(join(root, '2019', 'summer'), join(real, '0-best')); // before it; through the root's link
      await symlink('2019', join(real, 'all')); // a folder that holds the one linked twice
      await symlink('../..', join(real, '2019', 'summer', 'up')); // the root: a loop, one report

      const source = new FolderSource(root);
      const { entries, skipped } = await source.list();
      expect(entries.map((e) => e.key)).toEqual([
        '2019/new-year.jpg',
        '2019/summer/a.jpg',
        '2019/summer/beach/b.jpg',
      ]);
      const listedAs = (folder: string, place: string) =>
        `reaches ${folder} through a symbolic link, a folder already listed as ${place}/: not listed again`;
      expect(skipped).toEqual([
        { key: '0-best/', reason: 'linked-twice', message: listedAs('2019/summer', '2019/summer') },
        { key: '2019/summer/up/', reason: 'symlink-loop', message: expect.any(String) },
        { key: 'Best/', reason: 'linked-twice', message: listedAs('2019/summer', '2019/summer') },
        { key: 'all/', reason: 'linked-twice', message: listedAs('2019', '2019') },
      ]);
      // What was left out cannot be read through the source either.
      const leftOut = {
        ...entries[1],
        key: 'Best/a.jpg',
        album: 'Best',
        path: 'a.jpg',
        location: 'Best/a.jpg',
      };
      await expect(source.read(leftOut)).rejects.toThrow(/not in this source's listing/);
    });

    it('two albums linked to each other: each listed once, and no loop reported', async () => {
      const root = join(dir, 'pair');
      await mkdir(join(root, 'summer'), { recursive: true });
      await mkdir(join(root, 'winter'));
      await writeFile(join(root, 'summer', 's.jpg'), 's');
      await writeFile(join(root, 'winter', 'w.jpg'), 'w');
      await symlink('../winter', join(root, 'summer', 'see-also'));
      await symlink('../summer', join(root, 'winter', 'see-also'));
      const { entries, skipped } = await new FolderSource(root).list();
      expect(entries.map((e) => e.key)).toEqual(['summer/s.jpg', 'winter/w.jpg']);
      expect(skipped).toEqual([
        {
          key: 'summer/see-also/',
          reason: 'linked-twice',
          message:
            'reaches winter through a symbolic link, a folder already listed as winter/: not listed again',
        },
        {
          key: 'winter/see-also/',
          reason: 'linked-twice',
          message:
            'reaches summer through a symbolic link, a folder already listed as summer/: not listed again',
        },
      ]);
    });

    it('links into a hidden folder, which has no path of its own: the first by key is kept', async () => {
      const root = join(dir, 'hidden');
      await mkdir(join(root, '.store', 'cats'), { recursive: true });
      await mkdir(join(root, '.store', 'dogs'));
      await writeFile(join(root, '.store', 'cats', 'c.jpg'), 'c');
      await writeFile(join(root, '.store', 'dogs', 'd.jpg'), 'd');
      await symlink('.store', join(root, 'pets')); // sorts after cats: its cats/ is left out
      await symlink('.store/cats', join(root, 'cats'));
      await mkdir(join(root, 'starred'));
      await symlink('../.store/dogs/d.jpg', join(root, 'starred', 'dog.jpg')); // a file: reported as itself
      const { entries, skipped } = await new FolderSource(root).list();
      expect(entries.map((e) => e.key)).toEqual(['cats/c.jpg', 'pets/dogs/d.jpg']);
      expect(skipped).toEqual([
        {
          key: 'pets/cats/',
          reason: 'linked-twice',
          message:
            'reaches .store/cats through a symbolic link, a folder already listed as cats/: not listed again',
        },
        {
          key: 'starred/dog.jpg',
          reason: 'linked-twice',
          message:
            'reaches .store/dogs/d.jpg through a symbolic link, a file already listed as pets/dogs/d.jpg: not listed again',
        },
      ]);
    });

    it('keeps hard links and copies (duplicates, not one file reached twice) and links to a file listed nowhere else', async () => {
      const root = join(dir, 'same-bytes');
      await mkdir(join(root, 'album'), { recursive: true });
      await mkdir(join(root, '.originals'));
      await writeFile(join(root, 'album', 'a.jpg'), 'same');
      await writeFile(join(root, 'album', 'copy.jpg'), 'same');
      await link(join(root, 'album', 'a.jpg'), join(root, 'album', 'hard.jpg'));
      await writeFile(join(root, '.originals', 'o.jpg'), 'o');
      await symlink('../.originals/o.jpg', join(root, 'album', 'o.jpg'));
      await symlink('hard.jpg', join(root, 'album', 'to-hard.jpg'));
      const { entries, skipped } = await new FolderSource(root).list();
      expect(entries.map((e) => e.key)).toEqual([
        'album/a.jpg',
        'album/copy.jpg',
        'album/hard.jpg',
        'album/o.jpg',
      ]);
      expect(skipped).toEqual([
        {
          key: 'album/to-hard.jpg',
          reason: 'linked-twice',
          message:
            'reaches album/hard.jpg through a symbolic link, a file already listed as album/hard.jpg: not listed again',
        },
      ]);
    });
  });

  it('reads a file as it was listed, and refuses one whose size changed since', async () => {
    const root = join(dir, 'growing');
    await mkdir(join(root, 'a'), { recursive: true });
    await writeFile(join(root, 'a', 'clip.jpg'), 'first');
    const source = new FolderSource(root);
    const [entry] = (await source.list()).entries;
    expect(Buffer.from(await source.read(entry)).toString()).toBe('first');
    // Still being copied in: a 1 GiB video would otherwise be read whole past the large-file rule.
    await truncate(join(root, 'a', 'clip.jpg'), 2 ** 30);
    await expect(source.read(entry)).rejects.toThrow(
      'changed since it was listed (5 bytes then, 1073741824 now)',
    );
  });

  it('reports a sub-folder it cannot read and lists the rest (here: a path longer than PATH_MAX)', async () => {
    // chmod 000 does not stop root, so the folder is made unreadable by its length: two chains of
    // ten 250-character names, each well under PATH_MAX (4096), one moved to the bottom of the other.
    const root = join(dir, 'Deep');
    const name = 'd'.repeat(250);
    const ten = Array<string>(10).fill(name);
    await mkdir(join(root, 'album', ...ten), { recursive: true });
    await mkdir(join(dir, 'chain', ...ten), { recursive: true });
    await rename(join(dir, 'chain', name), join(root, 'album', ...ten, name));
    await writeFile(join(root, 'album', 'ok.jpg'), 'ok');
    try {
      const { entries, skipped } = await new FolderSource(root).list();
      expect(entries.map((e) => e.key)).toEqual(['album/ok.jpg']);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]).toMatchObject({ reason: 'unreadable-folder', message: 'cannot list: ENAMETOOLONG' });
      expect(skipped[0].key).toMatch(new RegExp(`^album/(${name}/){15,}$`));
    } finally {
      // fs.rm cannot reach that deep either; rm -r works relative to each folder.
      execFileSync('rm', ['-rf', root]);
    }
  });

  it('reports a sub-folder without read permission and lists the rest', async (ctx) => {
    if (!(await permissionsBindUs(dir))) {
      ctx.skip('running as root (CAP_DAC_OVERRIDE): chmod 000 does not stop reads; see the PATH_MAX case');
    }
    const root = join(dir, 'Locked');
    await mkdir(join(root, 'open'), { recursive: true });
    await mkdir(join(root, 'shut'));
    await writeFile(join(root, 'open', 'a.jpg'), 'a');
    await writeFile(join(root, 'shut', 'b.jpg'), 'b');
    await chmod(join(root, 'shut'), 0o000);
    try {
      const { entries, skipped } = await new FolderSource(root).list();
      expect(entries.map((e) => e.key)).toEqual(['open/a.jpg']);
      expect(skipped).toEqual([
        { key: 'shut/', reason: 'unreadable-folder', message: 'cannot list: EACCES' },
      ]);
    } finally {
      await chmod(join(root, 'shut'), 0o700);
    }
  });

  it('leaves out the data dir when it lies inside the source, and reports it', async () => {
    const root = join(dir, 'Photos');
    await mkdir(join(root, 'site-data', 'thumbs'), { recursive: true });
    await mkdir(join(root, 'album'));
    await writeFile(join(root, 'album', 'a.jpg'), 'a');
    await writeFile(join(root, 'site-data', 'thumbs', 't.webp'), 't');
    const source = new FolderSource(root);
    const { entries, skipped } = await source.list({ dataDir: join(root, 'site-data') });
    expect(entries.map((e) => e.key)).toEqual(['album/a.jpg']);
    expect(skipped).toEqual([
      { key: 'site-data/', reason: 'build-output', message: expect.stringMatching(/--data-dir/) },
    ]);
    // Not there yet: reported all the same, so the first build and the next list alike.
    expect((await source.list({ dataDir: join(root, 'new-out') })).skipped.map((s) => s.key)).toEqual([
      'new-out/',
    ]);
    await expect(source.list({ dataDir: root })).rejects.toThrow(
      /--data-dir \S+ is the source folder itself/,
    );
    // A source inside the data dir would take in the thumbnails and originals the build writes there.
    await expect(
      new FolderSource(join(root, 'site-data', 'thumbs')).list({ dataDir: join(root, 'site-data') }),
    ).rejects.toThrow(/is inside --data-dir .*site-data, where the build writes its files/);
    await expect(new FolderSource(join(root, 'album')).list({ dataDir: root })).rejects.toThrow(
      /is inside --data-dir/,
    );
    expect((await source.list({ dataDir: join(dir, 'elsewhere') })).skipped).toEqual([]);
  });

  it('leaves out any other data dir in the source (an earlier build of one that moved since), and special files', async () => {
    const root = join(dir, 'Photos');
    await mkdir(join(root, 'out', 'thumbs'), { recursive: true });
    await mkdir(join(root, 'album'));
    await writeFile(join(root, 'album', 'a.jpg'), 'a');
    await writeFile(join(root, 'out', DATA_DIR_MARKER), '');
    await writeFile(join(root, 'out', 'thumbs', 't.webp'), 't');
    execFileSync('mkfifo', [join(root, 'album', 'pipe.jpg')]);
    await symlink('pipe.jpg', join(root, 'album', 'to-pipe.jpg'));
    const { entries, skipped } = await new FolderSource(root).list({
      dataDir: join(root, 'album', 'new-out'),
    });
    expect(entries.map((e) => e.key)).toEqual(['album/a.jpg']);
    expect(skipped).toEqual([
      { key: 'album/new-out/', reason: 'build-output', message: expect.stringMatching(/--data-dir/) },
      { key: 'album/pipe.jpg', reason: 'unreadable', message: 'not a regular file (a named pipe): not read' },
      {
        key: 'album/to-pipe.jpg',
        reason: 'unreadable',
        message: expect.stringMatching(/neither file nor folder/),
      },
      { key: 'out/', reason: 'build-output', message: expect.stringMatching(/a data dir \(it holds/) },
    ]);
    // A data dir given as the source is refused, not indexed as thumbnails.
    await expect(new FolderSource(join(root, 'out')).list()).rejects.toThrow(
      /is a data dir .*choose the folder of your images/,
    );
  });

  it('leaves out what a link leads to inside the data dir, and reports each such link', async () => {
    // A link into the data dir made each build index the thumbnails the one before it wrote.
    const root = join(dir, 'Photos');
    await mkdir(join(root, 'site', 'thumbs'), { recursive: true });
    await mkdir(join(root, 'album'));
    await writeFile(join(root, 'album', 'a.jpg'), 'a');
    await writeFile(join(root, 'site', 'thumbs', 't.webp'), 't');
    await symlink('../site/thumbs', join(root, 'album', 'th')); // a folder inside the data dir
    await symlink('../site', join(root, 'album', 'site')); // the data dir itself
    await symlink('../site/thumbs/t.webp', join(root, 'album', 't.webp')); // a file inside it
    const { entries, skipped } = await new FolderSource(root).list({ dataDir: join(root, 'site') });
    expect(entries.map((e) => e.key)).toEqual(['album/a.jpg']);
    expect(skipped.map((s) => [s.key, s.reason])).toEqual([
      ['album/site/', 'build-output'],
      ['album/t.webp', 'build-output'],
      ['album/th/', 'build-output'],
      ['site/', 'build-output'],
    ]);
    expect(skipped[0].message).toMatch(/into the data dir this build writes \(--data-dir\)/);
  });

  describe('reads only the file the listing vetted, whatever took its place since', () => {
    /**
     * `root` with album/a.png and a link album/b.png → ../.other/b.png (a hidden folder: listed only
     * through the link); `outside` holds same-sized secrets.
     */
    const setUp = async () => {
      const root = join(dir, 'src');
      const outside = join(dir, 'private');
      await mkdir(join(root, 'album'), { recursive: true });
      await mkdir(join(root, '.other'));
      await mkdir(outside);
      await writeFile(join(root, 'album', 'a.png'), 'listed');
      await writeFile(join(root, '.other', 'b.png'), 'linked');
      await symlink('../.other/b.png', join(root, 'album', 'b.png'));
      await writeFile(join(outside, 'a.png'), 'SECRET'); // the size the listing saw: that check passes
      await writeFile(join(outside, 'b.png'), 'SECRET');
      const source = new FolderSource(root);
      const { entries } = await source.list();
      const entry = (key: string) => entries.find((e) => e.key === key)!;
      expect(entries.map((e) => e.key)).toEqual(['album/a.png', 'album/b.png']);
      return { root, outside, source, a: entry('album/a.png'), b: entry('album/b.png') };
    };
    const refused = async (read: Promise<Uint8Array>, message: RegExp) => {
      const err: unknown = await read.then(
        (bytes) => `read ${Buffer.from(bytes).toString()}`,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SourceChangedError);
      expect((err as Error).message).toMatch(message);
    };

    it('a listed file swapped for a link out of the source', async () => {
      const { root, outside, source, a } = await setUp();
      await unlink(join(root, 'album', 'a.png'));
      await symlink(join(outside, 'a.png'), join(root, 'album', 'a.png'));
      await refused(source.read(a), /replaced since it was listed/);
      await refused(source.readHead(a, 64), /replaced since it was listed/);
    });

    it('a listed link turned to lead out of the source', async () => {
      const { root, outside, source, b } = await setUp();
      expect(Buffer.from(await source.read(b)).toString()).toBe('linked');
      await unlink(join(root, 'album', 'b.png'));
      await symlink(join(outside, 'b.png'), join(root, 'album', 'b.png'));
      await refused(source.read(b), /replaced since it was listed/);
      await refused(source.readHead(b, 64), /replaced since it was listed/);
    });

    it('a folder on the way swapped for a link out of the source', async () => {
      const { root, outside, source, a } = await setUp();
      await rename(join(root, 'album'), join(dir, 'album-moved'));
      await symlink(outside, join(root, 'album'));
      await refused(source.read(a), /replaced since it was listed/);
    });

    it('a listed file swapped for a FIFO: refused, not waited on for ever', async () => {
      const { root, source, a } = await setUp();
      // Made beside it and moved over it: removed first, its inode could be the FIFO's.
      execFileSync('mkfifo', [join(root, 'album', 'fifo')]);
      await rename(join(root, 'album', 'fifo'), join(root, 'album', 'a.png'));
      await refused(source.read(a), /replaced since it was listed/);
    });

    it('a listed file replaced by another of the same size, or removed', async () => {
      const { root, source, a } = await setUp();
      // Written beside it and moved over it, as editors and rsync save: another file, not a reused inode.
      await writeFile(join(root, 'album', 'new.tmp'), 'edited');
      await rename(join(root, 'album', 'new.tmp'), join(root, 'album', 'a.png'));
      await refused(source.read(a), /replaced since it was listed/);
      await unlink(join(root, 'album', 'a.png'));
      await refused(source.read(a), /deleted since it was listed/);
      await refused(source.readHead(a, 64), /deleted since it was listed/);
    });
  });

  it('says clearly when the folder is missing or is a file', async () => {
    await expect(new FolderSource(join(dir, 'nope')).list()).rejects.toThrow(/cannot be read: ENOENT/);
    await writeFile(join(dir, 'file'), 'x');
    await expect(new FolderSource(join(dir, 'file')).list()).rejects.toThrow(/is not a folder/);
  });

  it('has no metadata when there is no lookalike-meta.json', async () => {
    expect(await new FolderSource(dir).readMeta()).toBeUndefined();
  });
});
