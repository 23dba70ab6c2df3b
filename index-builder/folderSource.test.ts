import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderSource } from './folderSource';

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
    const { entries, metaFile } = await source.list();
    expect(entries.map((e) => [e.album, e.path, e.key, e.size])).toEqual([
      ['Holiday', 'cover.png', 'Holiday/cover.png', 3],
      ['beach', 'a.jpg', 'beach/a.jpg', 1],
      ['beach', 'day 2/b.jpg', 'beach/day 2/b.jpg', 2],
      ['beach', 'link.jpg', 'beach/link.jpg', 1],
    ]);
    expect(metaFile?.size).toBeGreaterThan(0);
    expect(Buffer.from(await source.read(entries[2])).toString()).toBe('bb');
    expect(await source.readMeta()).toEqual({ 'beach/a.jpg': { place: 'Nice' } });
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
