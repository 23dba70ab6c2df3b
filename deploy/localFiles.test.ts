import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLocalFiles } from './localFiles';

describe('collectLocalFiles', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'local-files-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function put(...paths: string[]): Promise<void> {
    for (const p of paths) {
      await mkdir(dirname(join(root, p)), { recursive: true });
      await writeFile(join(root, p), p);
    }
  }

  it('does not walk a data dir kept inside the site dir as site files (its private files stay private)', async () => {
    await put(
      'site/index.html',
      'site/assets/a.js',
      'site/collection/manifest.json',
      'site/collection/build-report.json',
      'site/collection/source-files.json',
      'site/collection/thumbs/0123456789abcdef.webp',
    );
    const { files } = await collectLocalFiles(join(root, 'site'), join(root, 'site', 'collection'));
    expect(files.map((f) => f.sitePath)).toEqual([
      'assets/a.js',
      'data/build-report.json',
      'data/manifest.json',
      'data/source-files.json',
      'data/thumbs/0123456789abcdef.webp',
      'index.html',
    ]);
  });

  it('publishes a site folder that is not the data dir as it is', async () => {
    await put('site/index.html', 'site/collection/notes.html', 'data/manifest.json');
    const { files } = await collectLocalFiles(join(root, 'site'), join(root, 'data'));
    expect(files.map((f) => f.sitePath)).toEqual([
      'collection/notes.html',
      'data/manifest.json',
      'index.html',
    ]);
  });
});
