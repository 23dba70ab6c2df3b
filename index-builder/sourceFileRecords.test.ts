import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceEntry } from './imageSource';
import {
  RACY_MS,
  SOURCE_FILES_FILE,
  UNFINISHED_SOURCE_FILES_FILE,
  isRacy,
  readSourceFileRecords,
  sourceFileRecordsBytes,
} from './sourceFileRecords';

const LISTED_AT = 1_800_000_000_000;

function image(key: string, modifiedMs?: number) {
  const entry: SourceEntry = {
    album: 'a',
    path: key,
    key: `a/${key}`,
    location: key,
    size: 100,
    version: `${modifiedMs ?? 'etag'}`,
    ...(modifiedMs === undefined ? {} : { modifiedMs }),
  };
  return { entry, hash: 'ab'.repeat(32), width: 64, height: 48, ext: 'png' };
}

describe('source file records', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'source-files-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('recalls a file whose key, size and version are unchanged, and nothing else', async () => {
    const old = image('old.png', LISTED_AT - 60_000);
    await writeFile(join(dir, SOURCE_FILES_FILE), sourceFileRecordsBytes([old], 4096, LISTED_AT));
    const records = await readSourceFileRecords(dir, 4096);
    expect(records.lookup(old.entry)).toEqual({ hash: old.hash, width: 64, height: 48, ext: 'png' });
    expect(records.lookup({ ...old.entry, size: 101 })).toBeUndefined();
    expect(records.lookup({ ...old.entry, version: 'changed' })).toBeUndefined();
    expect(records.lookup({ ...old.entry, key: 'a/other.png' })).toBeUndefined();
    // Another --max-pixels may skip what this one accepted: the records are not used.
    expect((await readSourceFileRecords(dir, 1024)).size).toBe(0);
  });

  it("falls back on an unfinished build's records for files the published ones do not know as they are", async () => {
    const published = image('p.png', LISTED_AT - 60_000);
    const unfinished = { ...image('u.png', LISTED_AT - 60_000), hash: 'cd'.repeat(32) };
    const changed = { ...published, entry: { ...published.entry, size: 200 }, hash: 'ef'.repeat(32) };
    await writeFile(join(dir, SOURCE_FILES_FILE), sourceFileRecordsBytes([published], 4096, LISTED_AT));
    await writeFile(
      join(dir, UNFINISHED_SOURCE_FILES_FILE),
      sourceFileRecordsBytes([unfinished, changed], 4096, LISTED_AT),
    );
    const records = (await readSourceFileRecords(dir, 4096)).orElse(
      await readSourceFileRecords(dir, 4096, UNFINISHED_SOURCE_FILES_FILE),
    );
    expect(records.lookup(published.entry)?.hash).toBe(published.hash);
    expect(records.lookup(unfinished.entry)?.hash).toBe(unfinished.hash);
    // The file changed after the build that published it, and the unfinished one read it as it is now.
    expect(records.lookup(changed.entry)?.hash).toBe(changed.hash);
    expect(records.lookup({ ...unfinished.entry, version: 'changed' })).toBeUndefined();
  });

  it('leaves out files changed just before the listing, by the granularity of their timestamps', () => {
    expect(isRacy(LISTED_AT - RACY_MS.fine - 1.5, LISTED_AT)).toBe(false);
    expect(isRacy(LISTED_AT - RACY_MS.fine + 0.5, LISTED_AT)).toBe(true);
    // Whole seconds: a coarse file system, where a change may keep the timestamp for up to 2 s.
    expect(isRacy(LISTED_AT - 2000, LISTED_AT)).toBe(true);
    expect(isRacy(LISTED_AT - RACY_MS.coarse - 1000, LISTED_AT)).toBe(false);
    expect(isRacy(LISTED_AT + 5000.5, LISTED_AT)).toBe(true);
    const bytes = sourceFileRecordsBytes(
      [image('settled.png', LISTED_AT - 60_000.5), image('racy.png', LISTED_AT - 10.5), image('s3.png')],
      4096,
      LISTED_AT,
    );
    const files = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { files: string[][] }).files;
    expect(files.map((f) => f[0])).toEqual(['a/settled.png', 'a/s3.png']);
  });

  it('ignores a missing, unreadable or malformed file as a whole', async () => {
    expect((await readSourceFileRecords(dir, 4096)).size).toBe(0);
    const good = Buffer.from(sourceFileRecordsBytes([image('x.png')], 4096, LISTED_AT)).toString('utf8');
    const bad = [
      '{ nope',
      good.replace('"version":1', '"version":2'),
      good.replace('"png"', '"png/../x"'),
      good.replace(/"(ab)+"/, '"abc"'),
      good.replace(',64,', ',-64,'),
      '{"version":1,"settings":"format=1;maxPixels=4096","files":{}}',
    ];
    for (const text of bad) {
      await writeFile(join(dir, SOURCE_FILES_FILE), text);
      expect((await readSourceFileRecords(dir, 4096)).size).toBe(0);
    }
    await writeFile(join(dir, SOURCE_FILES_FILE), good);
    expect((await readSourceFileRecords(dir, 4096)).size).toBe(1);
  });
});
