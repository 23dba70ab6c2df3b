import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MEDIA_SIZES_FILE } from './dataDirNames';

/*
 * Thumbnails and originals are named by their content, so a build that finds a name in place takes the
 * file for what it should be and makes nothing. A file damaged since (truncated by a full disk, a half
 * copy, an edit) then stayed broken for ever: an unchanged image is recalled without being read again,
 * and the page showed a broken tile. Reading every file whole on every build to find the few damaged
 * ones would cost a rebuild more than it saves, so each is checked by its size instead: the size it had
 * when a build wrote or last checked it, recorded in MEDIA_SIZES_FILE, which truncation changes. Where
 * no size is recorded (a data dir written before the record, a file a failed build left), a thumbnail
 * checks itself: it is always a WebP, whose RIFF header gives its length. An original, whose bytes may
 * be the source's own with anything after the image, is then taken as it is and its size recorded.
 * The cost per file is one stat, and 12 bytes read for an unrecorded thumbnail.
 */

interface MediaSizesRecord {
  version: 1;
  /** Data-dir path of each thumbnail and original (thumbs/….webp) → its size in bytes. */
  sizes: Record<string, number>;
}

/** The recorded sizes; none when the record is missing or unreadable (then files check themselves). */
export async function readMediaSizes(dir: string): Promise<Map<string, number>> {
  try {
    const r = JSON.parse(await readFile(join(dir, MEDIA_SIZES_FILE), 'utf8')) as Partial<MediaSizesRecord>;
    if (r.version !== 1 || typeof r.sizes !== 'object' || r.sizes === null) return new Map();
    return new Map(Object.entries(r.sizes).filter(([, size]) => Number.isSafeInteger(size) && size >= 0));
  } catch {
    return new Map();
  }
}

export function mediaSizesBytes(sizes: Iterable<[string, number]>): Uint8Array {
  const record: MediaSizesRecord = { version: 1, sizes: Object.fromEntries([...sizes].sort()) };
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}

const RIFF_HEADER = 12;

/** Whether `head` (the file's first bytes) begins a WebP of `size` bytes, as its RIFF header says. */
function webpComplete(head: Uint8Array | undefined, size: number): boolean {
  if (head === undefined || head.length < RIFF_HEADER) return false;
  const h = Buffer.from(head.buffer, head.byteOffset, RIFF_HEADER);
  return (
    h.toString('latin1', 0, 4) === 'RIFF' &&
    h.toString('latin1', 8, 12) === 'WEBP' &&
    h.readUInt32LE(4) + 8 === size
  );
}

/** The first RIFF_HEADER bytes of the file at `path`; undefined when it cannot be read. */
function fileHead(path: string): Uint8Array | undefined {
  const head = Buffer.alloc(RIFF_HEADER);
  try {
    const fd = openSync(path, 'r');
    try {
      return head.subarray(0, readSync(fd, head, 0, RIFF_HEADER, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    // Unreadable (its permissions, a disk error): no use to the page either, so made again.
    return undefined;
  }
}

/**
 * Whether a thumbnail's or original's data-dir path `name`, holding `size` bytes, is intact: its
 * recorded size `expected`, or for a thumbnail with none, the length its WebP header gives (`head`
 * reads the file's first bytes, only then). The one judgement of the builder and of deploy, which has
 * the bytes in hand.
 */
export function mediaIntact(
  name: string,
  size: number,
  expected: number | undefined,
  head: () => Uint8Array | undefined,
): boolean {
  if (expected !== undefined) return size === expected;
  return !name.startsWith('thumbs/') || webpComplete(head(), size);
}

/**
 * What is stored under a thumbnail's or original's data-dir path `name` (the file at `path`): missing,
 * damaged (mediaIntact says no), or intact, as its size. Synchronous: a build asks once per thumbnail
 * and original, and a sync stat is a few microseconds where an async one that misses rejects with a
 * whole Error.
 */
export function storedMediaState(
  path: string,
  name: string,
  expected: number | undefined,
): 'missing' | 'damaged' | number {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info === undefined) return 'missing';
  if (!info.isFile()) return 'damaged';
  return mediaIntact(name, info.size, expected, () => fileHead(path)) ? info.size : 'damaged';
}
