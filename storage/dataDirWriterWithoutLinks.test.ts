import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataDirWriter } from './dataDirWriter';

// A file system without hard links (some network and FUSE mounts): link() fails with EPERM.
const { link } = vi.hoisted(() => ({
  link: vi.fn(() =>
    Promise.reject(Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' })),
  ),
}));
vi.mock('node:fs/promises', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:fs/promises')>()),
  link,
}));

describe('DataDirWriter on a file system without hard links', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'data-dir-nolinks-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('still takes the lock, with its pid, and still refuses a second writer', async () => {
    const w = new DataDirWriter(dir);
    await w.open();
    expect(link).toHaveBeenCalled();
    expect((await readFile(join(dir, '.build.lock'), 'utf8')).trim()).toBe(String(process.pid));
    await writeFile(join(dir, '.build.lock'), `${process.ppid}\n`); // another live build holds it
    await expect(new DataDirWriter(dir).open()).rejects.toThrow(/another build \(pid \d+\) is writing/);
    await writeFile(join(dir, '.build.lock'), `${process.pid}\n`);
    await w.close();
  });
});
