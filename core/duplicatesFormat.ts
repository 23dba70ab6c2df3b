import { crc32 } from './crc32';
import { rejectNewerVersion } from './formatVersion';
import { isRecord, nonNegativeInt, positiveInt, record, relativePath } from './jsonChecks';
import { sha256Hex } from './sha256';

/*
 * The duplicate groups file (docs/index-format.md#duplicate-groups-duplicates-version-1): the builder's
 * near-duplicate groups at each strictness, so the site and `npm run duplicates` switch strictness
 * without a rebuild. One format for both layouts: a resident build keeps every group inside the file;
 * a sharded one keeps only counts and checksums there and the groups in fixed-size shard files, so a
 * page of groups never needs all of them.
 */

const DUPLICATES_FORMAT = 'lookalike-duplicates';
const DUPLICATES_VERSION = 1;

/** Strictest first; every group of one level lies inside a group of the next. */
export const DUPLICATE_STRICTNESS = ['near-identical', 'very-similar', 'similar'] as const;
export type DuplicateStrictness = (typeof DUPLICATE_STRICTNESS)[number];
/** What `npm run duplicates` shows without --strictness: as close as all but the hardest edits. */
export const DEFAULT_DUPLICATE_STRICTNESS: DuplicateStrictness = 'very-similar';

/**
 * Where the thresholds came from: the manifest's calibration, or the builder's documented constants
 * for builds without one (index-builder/duplicateDetection.ts DEFAULT_DUPLICATE_THRESHOLDS).
 */
const THRESHOLD_SOURCES = ['calibration', 'default'] as const;
export type ThresholdSource = (typeof THRESHOLD_SOURCES)[number];

/** One group as stored: catalog positions, representative first. */
export interface StoredGroup {
  /** Catalog positions (resident: catalog item index; sharded: catalog position), at least 2, distinct. */
  members: number[];
  /** Score of each member to the first (the first's is 1), rounded to 4 decimals. */
  scores: number[];
  /** Lowest score between any two members, rounded to 4 decimals. */
  minScore: number;
}

export interface DuplicatesLevel {
  threshold: number;
  /** Groups at this level, and the images in them. */
  groups: number;
  images: number;
  /** Resident: the groups, in page order. */
  inline?: StoredGroup[];
  /** Sharded: CRC-32 of each shard file `<dir><strictness>/<n>.json`. */
  shardCrc?: number[];
}

export interface DuplicatesFile {
  format: typeof DUPLICATES_FORMAT;
  version: typeof DUPLICATES_VERSION;
  /** Items in the catalog: every position is below it. */
  count: number;
  thresholdSource: ThresholdSource;
  levels: Record<DuplicateStrictness, DuplicatesLevel>;
  /** Sharded only: groups per shard and the folder of the shards (ends in '/'). */
  shardSize?: number;
  dir?: string;
}

/** What the manifest says about the file (its optional `duplicates` field). */
export interface DuplicatesSummary {
  version: typeof DUPLICATES_VERSION;
  /** Groups per strictness, so the home page can say how many without fetching the file. */
  groups: Record<DuplicateStrictness, number>;
}

export class DuplicatesFormatError extends Error {}

function fail(path: string, message: string): never {
  throw new DuplicatesFormatError(`invalid duplicates file: ${path} ${message}`);
}

export function isDuplicateStrictness(v: unknown): v is DuplicateStrictness {
  return typeof v === 'string' && (DUPLICATE_STRICTNESS as readonly string[]).includes(v);
}

function score(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < -1 || v > 1)
    fail(path, 'must be a number in [-1, 1]');
  return v;
}

/** Validates one group: positions in range and distinct, scores agree with each other and the threshold. */
function parseStoredGroup(v: unknown, path: string, count: number, threshold: number): StoredGroup {
  const g = record(v, path, fail);
  if (!Array.isArray(g.members) || g.members.length < 2)
    fail(`${path}.members`, 'must list at least 2 positions');
  if (!Array.isArray(g.scores) || g.scores.length !== g.members.length)
    fail(`${path}.scores`, 'must have one score per member');
  const members = g.members.map((p, i) => {
    const position = nonNegativeInt(p, `${path}.members[${i}]`, fail);
    if (position >= count) fail(`${path}.members[${i}]`, `is ${position}, past the catalog's ${count} items`);
    return position;
  });
  if (new Set(members).size !== members.length) fail(`${path}.members`, 'lists a position twice');
  const scores = g.scores.map((s, i) => score(s, `${path}.scores[${i}]`));
  if (scores[0] !== 1) fail(`${path}.scores[0]`, 'must be 1 (the first member itself)');
  const minScore = score(g.minScore, `${path}.minScore`);
  if (minScore < threshold)
    fail(`${path}.minScore`, `is ${minScore}, below the level's threshold ${threshold}`);
  scores.forEach((s, i) => {
    if (s < minScore) fail(`${path}.scores[${i}]`, `is ${s}, below the group's minScore ${minScore}`);
  });
  return { members, scores, minScore };
}

/** Page order within a level: larger groups first, then tighter ones (the first member's id breaks ties). */
function checkOrder(groups: StoredGroup[], path: string, offset = 0): void {
  for (let i = 1; i < groups.length; i++) {
    const a = groups[i - 1];
    const b = groups[i];
    if (
      b.members.length > a.members.length ||
      (b.members.length === a.members.length && b.minScore > a.minScore)
    )
      fail(`${path}[${offset + i}]`, 'is out of order (largest first, then highest minScore)');
  }
}

function groupCounts(v: unknown, path: string): Record<DuplicateStrictness, number> {
  const r = record(v, path, fail);
  const out = {} as Record<DuplicateStrictness, number>;
  for (const s of DUPLICATE_STRICTNESS) out[s] = nonNegativeInt(r[s], `${path}.${s}`, fail);
  return out;
}

/** The manifest's `duplicates` field. */
export function parseDuplicatesSummary(v: unknown, path = 'duplicates'): DuplicatesSummary {
  const r = record(v, path, fail);
  rejectNewerVersion('duplicates', r.version, DUPLICATES_VERSION);
  if (r.version !== DUPLICATES_VERSION)
    fail(`${path}.version`, `must be ${DUPLICATES_VERSION}, got ${JSON.stringify(r.version)}`);
  return { version: DUPLICATES_VERSION, groups: groupCounts(r.groups, `${path}.groups`) };
}

/** Groups per shard of a sharded file: a page of a few tens of groups touches one or two shards. */
export const DEFAULT_DUPLICATE_SHARD_SIZE = 256;

function shardCountOf(groups: number, shardSize: number): number {
  return Math.ceil(groups / shardSize);
}

/** Every shard file of a sharded duplicates file (none for a resident one). */
export function duplicateShardPaths(file: DuplicatesFile): string[] {
  if (file.dir === undefined) return [];
  return DUPLICATE_STRICTNESS.flatMap((s) =>
    Array.from({ length: file.levels[s].shardCrc?.length ?? 0 }, (_, n) => duplicateShardPath(file, s, n)),
  );
}

export function duplicateShardPath(
  file: Pick<DuplicatesFile, 'dir'>,
  strictness: DuplicateStrictness,
  shard: number,
): string {
  if (file.dir === undefined) throw new Error('a resident duplicates file has no shards');
  return `${file.dir}${strictness}/${shard}.json`;
}

/**
 * Validates the parsed duplicates file against the catalog's item count and returns a fresh, typed copy;
 * throws DuplicatesFormatError naming the bad field.
 */
export function parseDuplicatesFile(json: unknown, expectedCount: number): DuplicatesFile {
  const f = record(json, '(root)', fail);
  if (f.format !== DUPLICATES_FORMAT)
    fail('format', `must be '${DUPLICATES_FORMAT}', got ${JSON.stringify(f.format)}`);
  rejectNewerVersion('duplicates', f.version, DUPLICATES_VERSION);
  if (f.version !== DUPLICATES_VERSION)
    fail('version', `must be ${DUPLICATES_VERSION}, got ${JSON.stringify(f.version)}`);
  const count = nonNegativeInt(f.count, 'count', fail);
  if (count !== expectedCount) fail('count', `is ${count} but the catalog has ${expectedCount} items`);
  if (
    typeof f.thresholdSource !== 'string' ||
    !(THRESHOLD_SOURCES as readonly string[]).includes(f.thresholdSource)
  )
    fail('thresholdSource', `must be one of ${THRESHOLD_SOURCES.join(', ')}`);
  const sharded = f.dir !== undefined;
  if (sharded && (typeof f.dir !== 'string' || !f.dir.endsWith('/')))
    fail('dir', "must be a folder name ending in '/'");
  const dir = sharded ? `${relativePath((f.dir as string).slice(0, -1), 'dir', fail)}/` : undefined;
  const shardSize = sharded ? positiveInt(f.shardSize, 'shardSize', fail) : undefined;
  if (!sharded && f.shardSize !== undefined) fail('shardSize', 'is only for a sharded file (with dir)');
  const levelsIn = record(f.levels, 'levels', fail);
  const levels = {} as Record<DuplicateStrictness, DuplicatesLevel>;
  let looser: { threshold: number; images: number } | undefined;
  for (const s of [...DUPLICATE_STRICTNESS].reverse()) {
    const path = `levels.${s}`;
    const l = record(levelsIn[s], path, fail);
    const threshold = score(l.threshold, `${path}.threshold`);
    const groups = nonNegativeInt(l.groups, `${path}.groups`, fail);
    const images = nonNegativeInt(l.images, `${path}.images`, fail);
    if (images < 2 * groups || images > count)
      fail(`${path}.images`, `${images} cannot hold ${groups} groups of ≥ 2`);
    if (looser !== undefined && (threshold < looser.threshold || images > looser.images))
      fail(path, 'must be at least as strict as the level after it (threshold, images)');
    looser = { threshold, images };
    const level: DuplicatesLevel = { threshold, groups, images };
    if (sharded) {
      if (!Array.isArray(l.shardCrc) || l.shardCrc.length !== shardCountOf(groups, shardSize!))
        fail(`${path}.shardCrc`, `must list ${shardCountOf(groups, shardSize!)} CRC-32s`);
      level.shardCrc = l.shardCrc.map((c, i) => {
        const crc = nonNegativeInt(c, `${path}.shardCrc[${i}]`, fail);
        if (crc > 0xffffffff) fail(`${path}.shardCrc[${i}]`, 'must be a 32-bit value');
        return crc;
      });
    } else {
      if (!Array.isArray(l.inline) || l.inline.length !== groups)
        fail(`${path}.inline`, `must list ${groups} groups`);
      const inline = l.inline.map((g, i) => parseStoredGroup(g, `${path}.inline[${i}]`, count, threshold));
      const total = inline.reduce((n, g) => n + g.members.length, 0);
      if (total !== images) fail(`${path}.images`, `is ${images} but the groups hold ${total}`);
      checkOrder(inline, `${path}.inline`);
      level.inline = inline;
    }
    levels[s] = level;
  }
  return {
    format: DUPLICATES_FORMAT,
    version: DUPLICATES_VERSION,
    count,
    thresholdSource: f.thresholdSource as ThresholdSource,
    levels,
    ...(sharded ? { shardSize, dir } : {}),
  };
}

/** One shard of a sharded level: `{ "groups": [ … ] }`, checked against its place in the level. */
export function parseDuplicatesShard(
  json: unknown,
  file: DuplicatesFile,
  strictness: DuplicateStrictness,
  shard: number,
): StoredGroup[] {
  const path = duplicateShardPath(file, strictness, shard);
  const level = file.levels[strictness];
  const size = file.shardSize!;
  const expected = Math.min(size, level.groups - shard * size);
  if (!isRecord(json) || !Array.isArray(json.groups) || json.groups.length !== expected)
    fail(path, `must be { "groups": [ … ] } with ${expected} groups`);
  const groups = json.groups.map((g, i) =>
    parseStoredGroup(g, `${path} groups[${i}]`, file.count, level.threshold),
  );
  checkOrder(groups, `${path} groups`);
  return groups;
}

interface EncodedDuplicates {
  file: DuplicatesFile;
  /** The duplicates file itself (what the manifest references). */
  bytes: Uint8Array;
  /** Sharded: shard files by path relative to the data dir, all under file.dir. */
  shards: Map<string, Uint8Array>;
}

const utf8 = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/**
 * Encodes the groups of every level (each already in page order). With `shardSize` the groups go into
 * shard files under `duplicates.<hash16>/`, named after a hash of all of them, so a new build never
 * overwrites a shard an open page is reading; without, they stay inside the file.
 */
export function encodeDuplicates(o: {
  count: number;
  thresholdSource: ThresholdSource;
  levels: Record<DuplicateStrictness, { threshold: number; groups: StoredGroup[] }>;
  shardSize?: number;
}): EncodedDuplicates {
  const levels = {} as Record<DuplicateStrictness, DuplicatesLevel>;
  const shardBytes: [DuplicateStrictness, number, Uint8Array][] = [];
  for (const s of DUPLICATE_STRICTNESS) {
    const { threshold, groups } = o.levels[s];
    const images = groups.reduce((n, g) => n + g.members.length, 0);
    levels[s] = { threshold, groups: groups.length, images };
    if (o.shardSize === undefined) levels[s].inline = groups;
    else {
      levels[s].shardCrc = [];
      for (let start = 0, n = 0; start < groups.length; start += o.shardSize, n++) {
        const bytes = utf8({ groups: groups.slice(start, start + o.shardSize) });
        levels[s].shardCrc!.push(crc32(bytes));
        shardBytes.push([s, n, bytes]);
      }
    }
  }
  const shards = new Map<string, Uint8Array>();
  let dir: string | undefined;
  if (o.shardSize !== undefined) {
    const hashes = shardBytes.map(([s, n, b]) => `${s}/${n}:${sha256Hex(b)}`).join('\n');
    dir = `duplicates.${sha256Hex(new TextEncoder().encode(hashes)).slice(0, 16)}/`;
    for (const [s, n, b] of shardBytes) shards.set(`${dir}${s}/${n}.json`, b);
  }
  const file: DuplicatesFile = {
    format: DUPLICATES_FORMAT,
    version: DUPLICATES_VERSION,
    count: o.count,
    thresholdSource: o.thresholdSource,
    levels,
    ...(o.shardSize === undefined ? {} : { shardSize: o.shardSize, dir }),
  };
  const bytes = utf8(file);
  // Never write what a reader would reject.
  parseDuplicatesFile(JSON.parse(new TextDecoder().decode(bytes)), o.count);
  return { file, bytes, shards };
}

/** The manifest's `duplicates` field for an encoded file. */
export function duplicatesSummary(file: DuplicatesFile): DuplicatesSummary {
  const groups = {} as Record<DuplicateStrictness, number>;
  for (const s of DUPLICATE_STRICTNESS) groups[s] = file.levels[s].groups;
  return { version: DUPLICATES_VERSION, groups };
}
