import { describe, expect, it } from 'vitest';
import { NewerFormatError } from './formatVersion';
import {
  NO_NEIGHBOUR,
  decodeNeighbourShard,
  encodeNeighbourShard,
  neighbourShardOf,
  neighbourShardRows,
  neighboursOf,
  parseNeighboursField,
  type NeighbourShard,
} from './neighbourListsFormat';
import type { FileRef } from './manifest';

const shard: NeighbourShard = {
  firstRow: 4,
  rows: 2,
  k: 3,
  positions: Uint32Array.from([7, 1, NO_NEIGHBOUR, 0, 5, 6]),
  scores: Float32Array.from([0.9, 0.5, 0, 0.75, 0.25, -0.5]),
};
const expected = { firstRow: 4, rows: 2, k: 3, count: 8 };

describe('neighbour shards', () => {
  it('round-trip, and give each row its neighbours best first, stopping at a missing one', () => {
    const decoded = decodeNeighbourShard(encodeNeighbourShard(shard), expected);
    expect(decoded).toEqual(shard);
    expect(neighboursOf(decoded, 4, 3)).toEqual([
      { position: 7, score: expect.closeTo(0.9, 6) },
      { position: 1, score: 0.5 },
    ]);
    expect(neighboursOf(decoded, 5, 2).map((n) => n.position)).toEqual([0, 5]);
    expect(() => neighboursOf(decoded, 6, 1)).toThrow(/not in the shard/);
  });

  it('refuse bytes that are not the shard the manifest describes', () => {
    const bytes = encodeNeighbourShard(shard);
    const bad = (edit: (b: Uint8Array) => void) => {
      const copy = bytes.slice();
      edit(copy);
      return () => decodeNeighbourShard(copy, expected);
    };
    expect(bad((b) => (b[0] = 0))).toThrow(/wrong magic/);
    expect(bad((b) => (b[4] = 0))).toThrow(/version 0; this reader knows version 1/);
    expect(bad((b) => (b[4] = 9))).toThrow(NewerFormatError);
    expect(() => decodeNeighbourShard(bytes, { ...expected, firstRow: 0 })).toThrow(/manifest says 0\+2/);
    expect(() => decodeNeighbourShard(bytes, { ...expected, count: 7 })).toThrow(/position 7 of a 7-image/);
    expect(() => decodeNeighbourShard(bytes.subarray(0, bytes.length - 4), expected)).toThrow(
      /bytes for 2 rows/,
    );
    expect(bad((b) => new DataView(b.buffer).setFloat32(16 + 6 * 4, 3, true))).toThrow(/not a cosine/);
  });

  it('are found by row, a few per collection', () => {
    const field = { k: 10, shardRows: 1024, shards: [] };
    expect(neighbourShardOf(field, 2500, 2100)).toEqual({ shard: 2, firstRow: 2048, rows: 452 });
    expect(neighbourShardRows(500)).toBe(1024);
    expect(Math.ceil(1_000_000 / neighbourShardRows(1_000_000))).toBeLessThanOrEqual(64);
  });
});

describe('the manifest field', () => {
  const ref = (path: string): FileRef => ({ path, bytes: 100, sha256: 'a'.repeat(64) });
  const fileRef = (v: unknown) => v as FileRef;
  const field = (shards: FileRef[], shardRows = 1024) => ({ k: 10, shardRows, shards });

  it('accepts one shard per shardRows images, all in one neighbours folder', () => {
    const shards = [ref('neighbours.0123456789abcdef/0.bin'), ref('neighbours.0123456789abcdef/1.bin')];
    expect(parseNeighboursField(field(shards), 1500, fileRef).shards).toHaveLength(2);
  });

  it('refuses a wrong shard count, stray paths and bad numbers', () => {
    const one = [ref('neighbours.0123456789abcdef/0.bin')];
    expect(() => parseNeighboursField(field(one), 1500, fileRef)).toThrow(/1500 images need 2/);
    expect(() => parseNeighboursField(field([ref('../x/0.bin')]), 10, fileRef)).toThrow(
      /neighbours\.<16 hex>/,
    );
    expect(() =>
      parseNeighboursField(
        field([ref('neighbours.0123456789abcdef/0.bin'), ref('neighbours.fedcba9876543210/1.bin')], 5),
        10,
        fileRef,
      ),
    ).toThrow(/one folder/);
    expect(() => parseNeighboursField({ ...field(one), k: 0 }, 10, fileRef)).toThrow(/neighbours\.k/);
    expect(() => parseNeighboursField({ ...field(one), shardRows: 1.5 }, 10, fileRef)).toThrow(/shardRows/);
  });
});
