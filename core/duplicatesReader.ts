import type { CatalogItem } from './catalog';
import { crc32 } from './crc32';
import {
  DuplicatesFormatError,
  duplicateShardPath,
  isDuplicateStrictness,
  parseDuplicatesFile,
  parseDuplicatesShard,
  type DuplicateStrictness,
  type DuplicatesFile,
  type StoredGroup,
} from './duplicatesFormat';
import { sha256Hex } from './sha256';

/*
 * Pages of duplicate groups from a build's duplicates file: what the search worker answers
 * duplicateGroups() with and what `npm run duplicates` prints, so both show the same groups. A
 * resident file holds every group; a sharded one is read a shard at a time (CRC-checked, kept in a
 * small memory cache).
 */

export type { DuplicateStrictness } from './duplicatesFormat';

export interface DuplicateMember {
  item: CatalogItem;
  /** Score (same scale as SearchResult.score) to the group's first member; the first member's is 1. */
  score: number;
}

export interface DuplicateGroup {
  /** At least 2; first = the representative (largest pixel count, then catalog order). */
  members: DuplicateMember[];
  /** The lowest score between any two members: the group's diameter in score terms. */
  minScore: number;
}

export interface DuplicateGroupsPage {
  strictness: DuplicateStrictness;
  /** Groups at this strictness, and images in them, in the whole collection. */
  totalGroups: number;
  totalImages: number;
  /** Threshold used for this strictness. */
  threshold: number;
  start: number;
  /** Groups start ..< start+count, largest first (then by minScore descending, then by first member id). */
  groups: DuplicateGroup[];
}

/** Where the reader gets shard files and catalog items. */
export interface DuplicatesSource {
  /** A data file relative to the manifest; `fresh`: the copy given before failed its checksum. */
  file(path: string, fresh?: boolean): Promise<Uint8Array>;
  /** The catalog items at these positions, in that order. */
  itemsAt(positions: readonly number[]): Promise<CatalogItem[]>;
}

/** Groups a page may ask for at once: a page shows tens; this bounds what one call fetches. */
export const MAX_GROUPS_PER_PAGE = 1000;
const SHARD_CACHE_ENTRIES = 32;

export class DuplicatesReader {
  private readonly shards = new Map<string, Promise<StoredGroup[]>>();

  private constructor(
    readonly file: DuplicatesFile,
    private readonly source: DuplicatesSource,
  ) {}

  /**
   * Checks the file's bytes against the manifest's sha256 (skip with `null` when the caller verified
   * them already) and parses it against the catalog's item count.
   */
  static fromBytes(
    bytes: Uint8Array,
    sha256: string | null,
    catalogCount: number,
    source: DuplicatesSource,
  ): DuplicatesReader {
    if (sha256 !== null && sha256Hex(bytes) !== sha256)
      throw new DuplicatesFormatError('the duplicates file does not match the manifest (sha256)');
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new DuplicatesFormatError('the duplicates file is not JSON');
    }
    return new DuplicatesReader(parseDuplicatesFile(json, catalogCount), source);
  }

  /** Groups per strictness. */
  counts(): Record<DuplicateStrictness, number> {
    const { levels } = this.file;
    return {
      'near-identical': levels['near-identical'].groups,
      'very-similar': levels['very-similar'].groups,
      similar: levels.similar.groups,
    };
  }

  /** Groups start ..< start + count at this strictness (clamped to the level), with their items. */
  async page(strictness: DuplicateStrictness, start: number, count: number): Promise<DuplicateGroupsPage> {
    if (!isDuplicateStrictness(strictness))
      throw new RangeError(
        `strictness must be near-identical, very-similar or similar, got ${String(strictness)}`,
      );
    if (!Number.isSafeInteger(start) || start < 0)
      throw new RangeError(`start must be a non-negative integer, got ${start}`);
    if (!Number.isSafeInteger(count) || count < 0 || count > MAX_GROUPS_PER_PAGE)
      throw new RangeError(`count must be an integer in 0..${MAX_GROUPS_PER_PAGE}, got ${count}`);
    const level = this.file.levels[strictness];
    const end = Math.min(level.groups, start + count);
    const stored = end > start ? await this.storedGroups(strictness, start, end) : [];
    const items = await this.source.itemsAt(stored.flatMap((g) => g.members));
    let next = 0;
    const groups = stored.map((g) => ({
      members: g.members.map((_, i) => ({ item: items[next++], score: g.scores[i] })),
      minScore: g.minScore,
    }));
    return {
      strictness,
      totalGroups: level.groups,
      totalImages: level.images,
      threshold: level.threshold,
      start,
      groups,
    };
  }

  private async storedGroups(
    strictness: DuplicateStrictness,
    start: number,
    end: number,
  ): Promise<StoredGroup[]> {
    const level = this.file.levels[strictness];
    if (level.inline !== undefined) return level.inline.slice(start, end);
    const size = this.file.shardSize!;
    const first = Math.floor(start / size);
    const wanted: Promise<StoredGroup[]>[] = [];
    for (let s = first; s <= Math.floor((end - 1) / size); s++) wanted.push(this.shard(strictness, s));
    const groups = (await Promise.all(wanted)).flat();
    return groups.slice(start - first * size, end - first * size);
  }

  private shard(strictness: DuplicateStrictness, shard: number): Promise<StoredGroup[]> {
    const path = duplicateShardPath(this.file, strictness, shard);
    let p = this.shards.get(path);
    if (p === undefined) {
      const crc = this.file.levels[strictness].shardCrc![shard];
      p = (async () => {
        for (const fresh of [false, true]) {
          const bytes = await this.source.file(path, fresh);
          if (crc32(bytes) !== crc) continue;
          return parseDuplicatesShard(
            JSON.parse(new TextDecoder().decode(bytes)),
            this.file,
            strictness,
            shard,
          );
        }
        throw new DuplicatesFormatError(`${path} does not match its checksum in the duplicates file`);
      })();
      this.shards.set(path, p);
      p.catch(() => this.shards.delete(path));
      if (this.shards.size > SHARD_CACHE_ENTRIES)
        this.shards.delete(this.shards.keys().next().value as string);
    }
    return p;
  }
}
