import { describe, expect, it } from 'vitest';
import type { CatalogItem } from './catalog';
import { encodeDuplicates, type StoredGroup } from './duplicatesFormat';
import { DuplicatesReader, type DuplicatesSource } from './duplicatesReader';
import { sha256Hex } from './sha256';

const COUNT = 40;
const item = (p: number): CatalogItem => ({
  id: `id${String(p).padStart(3, '0')}`,
  album: 'A',
  name: `${p}.png`,
  thumb: `thumbs/${p}.webp`,
  original: `originals/${p}.png`,
  width: 10,
  height: 10,
});

/** 12 pairs (2p, 2p+1) at every level, tighter pairs first: enough to cross shards of 5. */
function groups(): StoredGroup[] {
  return Array.from({ length: 12 }, (_, i) => ({
    members: [2 * i, 2 * i + 1],
    scores: [1, 0.99 - i * 0.01],
    minScore: 0.99 - i * 0.01,
  }));
}

function encoded(shardSize?: number) {
  const level = { threshold: 0.8, groups: groups() };
  return encodeDuplicates({
    count: COUNT,
    thresholdSource: 'calibration',
    levels: { 'near-identical': level, 'very-similar': level, similar: level },
    shardSize,
  });
}

function source(files: Map<string, Uint8Array>, reads: string[] = []): DuplicatesSource {
  return {
    async file(path, fresh) {
      reads.push(`${path}${fresh ? ' (fresh)' : ''}`);
      const bytes = files.get(path);
      if (bytes === undefined) throw new Error(`no ${path}`);
      return bytes;
    },
    async itemsAt(positions) {
      return positions.map(item);
    },
  };
}

describe('DuplicatesReader', () => {
  it('pages a resident file: members with their items and scores, clamped to the level', async () => {
    const e = encoded();
    const reader = DuplicatesReader.fromBytes(e.bytes, sha256Hex(e.bytes), COUNT, source(new Map()));
    expect(reader.counts()).toEqual({ 'near-identical': 12, 'very-similar': 12, similar: 12 });
    const page = await reader.page('similar', 10, 5);
    expect(page).toMatchObject({
      strictness: 'similar',
      totalGroups: 12,
      totalImages: 24,
      threshold: 0.8,
      start: 10,
    });
    expect(page.groups).toHaveLength(2);
    expect(page.groups[0]).toEqual({
      members: [
        { item: item(20), score: 1 },
        { item: item(21), score: 0.89 },
      ],
      minScore: 0.89,
    });
    expect((await reader.page('similar', 12, 5)).groups).toEqual([]);
  });

  it('reads a sharded file a shard at a time and gives the same pages', async () => {
    const resident = encoded();
    const sharded = encoded(5);
    const reads: string[] = [];
    const files = new Map(sharded.shards);
    const a = DuplicatesReader.fromBytes(resident.bytes, null, COUNT, source(new Map()));
    const b = DuplicatesReader.fromBytes(sharded.bytes, null, COUNT, source(files, reads));
    expect(await b.page('very-similar', 3, 4)).toEqual(await a.page('very-similar', 3, 4));
    // Groups 3..6 lie in shards 0 and 1 only.
    expect(reads.sort()).toEqual([
      `${sharded.file.dir}very-similar/0.json`,
      `${sharded.file.dir}very-similar/1.json`,
    ]);
    await b.page('very-similar', 0, 2);
    expect(reads).toHaveLength(2); // shard 0 again comes from memory
  });

  it('asks once more, fresh, for a shard that fails its CRC, and then gives up with a clear error', async () => {
    const sharded = encoded(5);
    const path = `${sharded.file.dir}similar/2.json`;
    const damaged = new Map(sharded.shards);
    damaged.set(path, new TextEncoder().encode('{"groups":[]}'));
    let served = 0;
    const healing: DuplicatesSource = {
      ...source(damaged),
      async file(p, fresh) {
        served++;
        return fresh ? sharded.shards.get(p)! : damaged.get(p)!;
      },
    };
    const healed = DuplicatesReader.fromBytes(sharded.bytes, null, COUNT, healing);
    expect((await healed.page('similar', 10, 2)).groups).toHaveLength(2);
    expect(served).toBe(2);
    const broken = DuplicatesReader.fromBytes(sharded.bytes, null, COUNT, source(damaged));
    await expect(broken.page('similar', 10, 2)).rejects.toThrow(
      /similar\/2\.json does not match its checksum/,
    );
  });

  it('rejects bad arguments and a file that does not match the manifest', async () => {
    const e = encoded();
    expect(() => DuplicatesReader.fromBytes(e.bytes, '0'.repeat(64), COUNT, source(new Map()))).toThrow(
      /sha256/,
    );
    expect(() =>
      DuplicatesReader.fromBytes(new TextEncoder().encode('{'), null, COUNT, source(new Map())),
    ).toThrow(/not JSON/);
    const reader = DuplicatesReader.fromBytes(e.bytes, null, COUNT, source(new Map()));
    await expect(reader.page('loose' as 'similar', 0, 1)).rejects.toThrow(/strictness/);
    await expect(reader.page('similar', -1, 1)).rejects.toThrow(/start/);
    await expect(reader.page('similar', 0, 1e6)).rejects.toThrow(/count/);
  });
});
