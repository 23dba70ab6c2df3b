import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SkipReason } from './decodeImage';
import type { SourceEntry } from './imageSource';

/*
 * What the builder learned from each source file's bytes, by the file's listing identity, so that a
 * rebuild need not read, hash and probe the files that did not change (issue 15: a +1 % rebuild spent
 * most of its featurize step re-reading the 99 % it had cached). The same idea as git's index: a file
 * whose key, size and version (folders: mtime and ctime; S3: the ETag) are what they were is taken
 * to hold what it held. Anything that differs falls back to reading the file.
 *
 * source-files.json sits next to the manifest, private like build-report.json (never deployed),
 * rewritten after each successful build with the images it published (docs/index-format.md).
 */

export const SOURCE_FILES_FILE = 'source-files.json';

/**
 * The same records from a distributed build that failed or was stopped: the files its finished jobs
 * read, so that the next run does not queue them again (their embeddings are in the coordinator's
 * cache, their thumbnails and originals in the data dir). Consulted after SOURCE_FILES_FILE.
 */
export const UNFINISHED_SOURCE_FILES_FILE = 'source-files.unfinished.json';

/**
 * Bump when what the builder derives from a file's bytes changes (readImageInfo's size, safeOriginal's
 * format): older records are then ignored.
 */
const RECORD_FORMAT = 1;

/**
 * A file changed this close before the listing that recorded it could change again within the same
 * timestamp tick, keeping its version (git's "racily clean" entries): such files are not recorded and
 * are read again next time. Whole-second timestamps mean a coarse file system (FAT: 2 s, HFS+ and
 * ext3: 1 s); others tick every few milliseconds at most (Linux's coarse clock: one jiffy, ≤ 10 ms).
 */
export const RACY_MS = { coarse: 3000, fine: 100 } as const;

/** True when a file changed at `modifiedMs` may still change unseen after a listing at `listedAt`. */
export function isRacy(modifiedMs: number, listedAt: number): boolean {
  const window = modifiedMs % 1000 === 0 ? RACY_MS.coarse : RACY_MS.fine;
  return modifiedMs >= listedAt - window;
}

/** What a file's bytes told the builder: its content hash and what the catalog needs. */
export interface KnownFile {
  hash: string;
  width: number;
  height: number;
  ext: string;
}

/** [key, size, version, hash, width, height, ext] */
type Row = [string, number, string, string, number, number, string];

/** [key, size, version, reason, message] of a file that was skipped for what its bytes are. */
type SkipRow = [string, number, string, SkipReason, string];

/**
 * Skips that say what a file's bytes are, so an unchanged file would be skipped again: remembered,
 * and not tried again until the file changes (or --force). A drawing that takes 20 s to render
 * (not-rasterisable) cost every rebuild those 20 s. Not `read-failed`, which is no fault of the file.
 */
const REMEMBERED_SKIPS: ReadonlySet<string> = new Set<SkipReason>([
  'empty',
  'unsupported',
  'corrupt',
  'too-large',
  'unreadable',
  'not-rasterisable',
]);

function isRememberedSkip(reason: string): reason is SkipReason {
  return REMEMBERED_SKIPS.has(reason);
}

interface SourceFilesRecord {
  version: 1;
  /** What the facts depend on besides the bytes (recordSettings). */
  settings: string;
  files: Row[];
  /** Absent in records written before skips were remembered. */
  skipped?: SkipRow[];
}

function recordSettings(maxPixels: number): string {
  return `format=${RECORD_FORMAT};maxPixels=${maxPixels}`;
}

function isRow(r: unknown): r is Row {
  if (!Array.isArray(r) || r.length !== 7) return false;
  const [key, size, version, hash, width, height, ext] = r as unknown[];
  return (
    typeof key === 'string' &&
    Number.isSafeInteger(size) &&
    typeof version === 'string' &&
    typeof hash === 'string' &&
    /^[0-9a-f]{64}$/.test(hash) &&
    Number.isSafeInteger(width) &&
    (width as number) > 0 &&
    Number.isSafeInteger(height) &&
    (height as number) > 0 &&
    typeof ext === 'string' &&
    /^[a-z0-9]{1,8}$/.test(ext)
  );
}

function isSkipRow(r: unknown): r is SkipRow {
  if (!Array.isArray(r) || r.length !== 5) return false;
  const [key, size, version, reason, message] = r as unknown[];
  return (
    typeof key === 'string' &&
    Number.isSafeInteger(size) &&
    typeof version === 'string' &&
    typeof reason === 'string' &&
    isRememberedSkip(reason) &&
    typeof message === 'string'
  );
}

/** The previous build's records, looked up by a listing entry. */
class SourceFileRecords {
  constructor(
    private readonly byKey: ReadonlyMap<string, Row> = new Map(),
    private readonly skippedByKey: ReadonlyMap<string, SkipRow> = new Map(),
    private readonly fallback?: SourceFileRecords,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** These records, then `other`'s for files these do not know as they are now. */
  orElse(other: SourceFileRecords): SourceFileRecords {
    return new SourceFileRecords(this.byKey, this.skippedByKey, other);
  }

  /** What the file held when last read, if its size and version are still what they were. */
  lookup(entry: SourceEntry): KnownFile | undefined {
    const row = this.byKey.get(entry.key);
    if (row === undefined || row[1] !== entry.size || row[2] !== entry.version)
      return this.fallback?.lookup(entry);
    return { hash: row[3], width: row[4], height: row[5], ext: row[6] };
  }

  /** Why the file was skipped last time, if it has not changed since and the reason is in its bytes. */
  lookupSkip(entry: SourceEntry): { reason: SkipReason; message: string } | undefined {
    const row = this.skippedByKey.get(entry.key);
    if (row === undefined || row[1] !== entry.size || row[2] !== entry.version)
      return this.fallback?.lookupSkip(entry);
    return { reason: row[3], message: row[4] };
  }
}

/**
 * The data dir's records for builds with this maxPixels; none when the file is missing, from other
 * settings or damaged in any way (then every file is read, as on a first build).
 */
export async function readSourceFileRecords(
  dataDir: string,
  maxPixels: number,
  file = SOURCE_FILES_FILE,
): Promise<SourceFileRecords> {
  try {
    const record = JSON.parse(await readFile(join(dataDir, file), 'utf8')) as SourceFilesRecord;
    if (record.version !== 1 || record.settings !== recordSettings(maxPixels)) return new SourceFileRecords();
    if (!Array.isArray(record.files) || !record.files.every(isRow)) return new SourceFileRecords();
    const skipped = Array.isArray(record.skipped) ? record.skipped.filter(isSkipRow) : [];
    return new SourceFileRecords(
      new Map(record.files.map((r) => [r[0], r])),
      new Map(skipped.map((r) => [r[0], r])),
    );
  } catch {
    return new SourceFileRecords();
  }
}

/** A build's skips (its report's) and the listing entries they are found in by key. */
interface BuildSkips {
  skipped: readonly { key: string; reason: string; message: string }[];
  entries: readonly SourceEntry[];
}

/**
 * The records of a build's images, and of the files it skipped for what they hold (isRememberedSkip;
 * others are left out). `listedAt` is when their listing started (ms since the epoch): files changed
 * just before it (isRacy) are left out.
 */
export function sourceFileRecordsBytes(
  images: readonly ({ entry: SourceEntry } & KnownFile)[],
  maxPixels: number,
  listedAt: number,
  skips: BuildSkips = { skipped: [], entries: [] },
): Uint8Array {
  const settled = (entry: SourceEntry) =>
    entry.modifiedMs === undefined || !isRacy(entry.modifiedMs, listedAt);
  const files: Row[] = images
    .filter((u) => settled(u.entry))
    .map((u) => [u.entry.key, u.entry.size, u.entry.version, u.hash, u.width, u.height, u.ext]);
  const byKey = new Map(skips.entries.map((e) => [e.key, e]));
  const skipped: SkipRow[] = skips.skipped.flatMap((s) => {
    const entry = byKey.get(s.key);
    return entry !== undefined && isRememberedSkip(s.reason) && settled(entry)
      ? [[entry.key, entry.size, entry.version, s.reason, s.message] as SkipRow]
      : [];
  });
  const record: SourceFilesRecord = { version: 1, settings: recordSettings(maxPixels), files, skipped };
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}
