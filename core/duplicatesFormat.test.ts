import { describe, expect, it } from 'vitest';
import { NewerFormatError } from './formatVersion';
import {
  DUPLICATE_STRICTNESS,
  duplicatesSummary,
  encodeDuplicates,
  parseDuplicatesFile,
  parseDuplicatesShard,
  parseDuplicatesSummary,
  type DuplicateStrictness,
  type StoredGroup,
} from './duplicatesFormat';

const g = (members: number[], scores: number[], minScore: number): StoredGroup => ({
  members,
  scores,
  minScore,
});

/** Nested levels over 10 items: {0,1,2} splits into {0,1} at the stricter levels; {5,6} only loosest. */
function levels(): Record<DuplicateStrictness, { threshold: number; groups: StoredGroup[] }> {
  return {
    'near-identical': { threshold: 0.9, groups: [g([0, 1], [1, 0.95], 0.95)] },
    'very-similar': { threshold: 0.8, groups: [g([0, 1], [1, 0.95], 0.95), g([3, 4], [1, 0.85], 0.85)] },
    similar: {
      threshold: 0.7,
      groups: [g([0, 1, 2], [1, 0.95, 0.75], 0.72), g([3, 4], [1, 0.85], 0.85), g([5, 6], [1, 0.71], 0.71)],
    },
  };
}

const json = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

describe('duplicates file', () => {
  it('round-trips a resident file with every group inside it', () => {
    const encoded = encodeDuplicates({ count: 10, thresholdSource: 'calibration', levels: levels() });
    expect(encoded.shards.size).toBe(0);
    const file = parseDuplicatesFile(json(encoded.bytes), 10);
    expect(file).toEqual(encoded.file);
    for (const s of DUPLICATE_STRICTNESS) expect(file.levels[s].inline).toEqual(levels()[s].groups);
    expect(file.levels.similar).toMatchObject({ threshold: 0.7, groups: 3, images: 7 });
    expect(duplicatesSummary(file)).toEqual({
      version: 1,
      groups: { 'near-identical': 1, 'very-similar': 2, similar: 3 },
    });
    expect(parseDuplicatesSummary(duplicatesSummary(file))).toEqual(duplicatesSummary(file));
  });

  it('splits a sharded file into fixed-size shards under a folder named by their content', () => {
    const encoded = encodeDuplicates({
      count: 10,
      thresholdSource: 'default',
      levels: levels(),
      shardSize: 2,
    });
    const file = parseDuplicatesFile(json(encoded.bytes), 10);
    expect(file.dir).toMatch(/^duplicates\.[0-9a-f]{16}\/$/);
    expect(file.levels.similar.shardCrc).toHaveLength(2);
    expect(file.levels.similar.inline).toBeUndefined();
    expect([...encoded.shards.keys()].sort()).toEqual(
      ['near-identical/0.json', 'similar/0.json', 'similar/1.json', 'very-similar/0.json'].map(
        (p) => file.dir + p,
      ),
    );
    const second = parseDuplicatesShard(
      json(encoded.shards.get(`${file.dir}similar/1.json`)!),
      file,
      'similar',
      1,
    );
    expect(second).toEqual([g([5, 6], [1, 0.71], 0.71)]);
    // Other groups, other folder: a new build never overwrites a shard an open page reads.
    const other = levels();
    other.similar.groups[2] = g([5, 7], [1, 0.71], 0.71);
    expect(
      encodeDuplicates({ count: 10, thresholdSource: 'default', levels: other, shardSize: 2 }).file.dir,
    ).not.toBe(file.dir);
  });

  it('rejects files that are damaged or disagree with the catalog', () => {
    const good = json(
      encodeDuplicates({ count: 10, thresholdSource: 'calibration', levels: levels() }).bytes,
    ) as {
      levels: Record<string, { inline: StoredGroup[]; threshold: number; images: number }>;
    } & Record<string, unknown>;
    const broken = (change: (f: typeof good) => void) => {
      const f = structuredClone(good);
      change(f);
      return () => parseDuplicatesFile(f, 10);
    };
    expect(() => parseDuplicatesFile(good, 11)).toThrow(/count is 10 but the catalog has 11 items/);
    expect(broken((f) => (f.version = 0))).toThrow(/version must be 1/);
    expect(broken((f) => (f.version = 2))).toThrow(NewerFormatError);
    expect(broken((f) => (f.format = 'x'))).toThrow(/format/);
    expect(broken((f) => (f.thresholdSource = 'guess'))).toThrow(/thresholdSource/);
    expect(broken((f) => (f.levels.similar.inline[0].members[1] = 10))).toThrow(
      /past the catalog's 10 items/,
    );
    expect(broken((f) => (f.levels.similar.inline[0].members[1] = 0))).toThrow(/a position twice/);
    expect(broken((f) => (f.levels.similar.inline[0].scores[0] = 0.9))).toThrow(/must be 1/);
    expect(broken((f) => (f.levels.similar.inline[0].scores = [1, 2, 0.5]))).toThrow(/\[-1, 1\]/);
    expect(broken((f) => (f.levels.similar.inline[2].minScore = 0.6))).toThrow(/below the level's threshold/);
    expect(broken((f) => (f.levels.similar.inline[0].minScore = 0.8))).toThrow(/below the group's minScore/);
    expect(broken((f) => f.levels.similar.inline.reverse())).toThrow(/out of order/);
    expect(broken((f) => (f.levels.similar.images = 8))).toThrow(/groups hold 7/);
    expect(broken((f) => (f.levels['near-identical'].threshold = 0.6))).toThrow(/at least as strict/);
    expect(broken((f) => (f.dir = '../x/'))).toThrow(/relative path/);
    expect(broken((f) => delete (f.levels as Record<string, unknown>)['very-similar'])).toThrow(
      /levels.very-similar must be an object/,
    );
  });

  it('rejects a shard that does not fit its place in the level', () => {
    const encoded = encodeDuplicates({
      count: 10,
      thresholdSource: 'default',
      levels: levels(),
      shardSize: 2,
    });
    const file = encoded.file;
    const first = json(encoded.shards.get(`${file.dir}similar/0.json`)!);
    expect(() => parseDuplicatesShard(first, file, 'similar', 1)).toThrow(/with 1 groups/);
    expect(() => parseDuplicatesShard({ groups: 'x' }, file, 'similar', 0)).toThrow(/"groups"/);
  });
});
