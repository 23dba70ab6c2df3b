import { describe, expect, it } from 'vitest';
import type { SimilarityCalibration } from '../../core/calibration';
import type { CatalogItem } from '../../core/catalog';
import type { DuplicateGroup, DuplicateGroupsPage, DuplicateStrictness } from '../../workers/searchApi';
import { parseCsv } from '../../testing/parseCsv';
import {
  collectAllGroups,
  CSV_HEADER,
  duplicatesCsv,
  duplicatesJson,
  type DuplicateGroupsAll,
} from './duplicateExport';

function item(id: string, name: string, bytes?: number): CatalogItem {
  return {
    id,
    album: 'Holiday, 2024',
    name,
    thumb: `thumbs/${id}.webp`,
    original: `originals/${id}.jpg`,
    width: 640,
    height: 480,
    ...(bytes === undefined ? {} : { bytes }),
  };
}

const GROUPS: DuplicateGroup[] = [
  {
    minScore: 0.91,
    members: [
      { item: item('a', 'beach.jpg', 123456), score: 1 },
      { item: item('b', '=cmd|"/c calc"!A1', 2000), score: 0.95 },
      { item: item('c', 'two\nlines, "quoted".jpg'), score: 0.91 },
    ],
  },
  {
    minScore: 0.8,
    members: [
      { item: item('d', '@home.png', 10), score: 1 },
      { item: item('e', '+1 copy.png', 9), score: 0.8 },
    ],
  },
];

const ALL: DuplicateGroupsAll = {
  strictness: 'very-similar',
  threshold: 0.8,
  totalGroups: 2,
  totalImages: 5,
  groups: GROUPS,
};

const CALIBRATION: SimilarityCalibration = {
  version: 1,
  thresholds: { 'near-identical': 0.93, 'very-similar': 0.85, similar: 0.7, 'loosely-related': 0.5 },
  measured: {
    editedCopies: 100,
    randomPairs: 5000,
    editedCopy: { p05: 0.85, p50: 0.93 },
    randomPair: { p50: 0.1, p99: 0.5, p999: 0.7 },
  },
};

/** A worker that serves `groups` in pages, like duplicateGroups(). */
function pagedWorker(groups: DuplicateGroup[]) {
  const calls: [number, number][] = [];
  const fetchPage = async (strictness: DuplicateStrictness, start: number, count: number) => {
    calls.push([start, count]);
    const page: DuplicateGroupsPage = {
      strictness,
      totalGroups: groups.length,
      totalImages: groups.reduce((n, g) => n + g.members.length, 0),
      threshold: 0.8,
      start,
      groups: groups.slice(start, start + count),
    };
    return page;
  };
  return { fetchPage, calls };
}

describe('collectAllGroups', () => {
  it('asks for every page until it has all groups', async () => {
    const many = Array.from({ length: 7 }, () => GROUPS[1]);
    const { fetchPage, calls } = pagedWorker(many);
    const all = await collectAllGroups(fetchPage, 'similar', 3);
    expect(all?.groups).toHaveLength(7);
    expect(all).toMatchObject({ strictness: 'similar', totalGroups: 7, totalImages: 14, threshold: 0.8 });
    expect(calls).toEqual([
      [0, 3],
      [3, 3],
      [6, 3],
    ]);
  });

  it('says null for a build without duplicates', async () => {
    expect(await collectAllGroups(async () => null, 'similar')).toBeNull();
  });

  it('fails clearly when the build changes mid-way', async () => {
    const { fetchPage } = pagedWorker([GROUPS[0], GROUPS[1]]);
    let calls = 0;
    const changing = async (s: DuplicateStrictness, start: number, count: number) =>
      (calls += 1) === 1 ? fetchPage(s, start, count) : null;
    await expect(collectAllGroups(changing, 'similar', 1)).rejects.toThrow(/changed while/);
  });
});

describe('duplicatesJson', () => {
  it('carries every group and member with its score, label, sizes and path', () => {
    const parsed = JSON.parse(duplicatesJson(ALL, CALIBRATION)) as {
      strictness: string;
      totalGroups: number;
      groups: { minScore: number; members: Record<string, unknown>[] }[];
    };
    expect(parsed.strictness).toBe('very-similar');
    expect(parsed.totalGroups).toBe(2);
    expect(parsed.groups.map((g) => g.members.map((m) => m.id))).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(parsed.groups[0].members[1]).toEqual({
      id: 'b',
      album: 'Holiday, 2024',
      name: '=cmd|"/c calc"!A1',
      score: 0.95,
      label: 'near-identical',
      width: 640,
      height: 480,
      bytes: 2000,
      original: 'originals/b.jpg',
    });
    expect(parsed.groups[0].members[2]).toMatchObject({ label: 'very-similar', bytes: null });
  });

  it('has null labels without a calibration', () => {
    const parsed = JSON.parse(duplicatesJson(ALL, null)) as { groups: { members: { label: unknown }[] }[] };
    expect(parsed.groups.flatMap((g) => g.members.map((m) => m.label))).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('duplicatesCsv', () => {
  it('writes one row per member that reads back to the same groups, with names made safe', () => {
    const rows = parseCsv(duplicatesCsv(ALL, CALIBRATION));
    expect(rows[0]).toEqual([...CSV_HEADER]);
    const col = (name: (typeof CSV_HEADER)[number]) => rows.slice(1).map((r) => r[CSV_HEADER.indexOf(name)]);
    expect(col('group')).toEqual(['1', '1', '1', '2', '2']);
    expect(col('member')).toEqual(['1', '2', '3', '1', '2']);
    expect(col('id')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(col('score').map(Number)).toEqual([1, 0.95, 0.91, 1, 0.8]);
    expect(col('label')).toEqual([
      'near-identical',
      'near-identical',
      'very-similar',
      'near-identical',
      'similar',
    ]);
    expect(col('name')).toEqual([
      'beach.jpg',
      `'=cmd|"/c calc"!A1`,
      'two\nlines, "quoted".jpg',
      "'@home.png",
      "'+1 copy.png",
    ]);
    expect(col('album')).toEqual(Array(5).fill('Holiday, 2024'));
    expect(col('bytes')).toEqual(['123456', '2000', '', '10', '9']);
    expect(col('group_min_score')).toEqual(['0.91', '0.91', '0.91', '0.8', '0.8']);
  });

  it('leaves labels empty without a calibration', () => {
    const rows = parseCsv(duplicatesCsv(ALL, null));
    expect(rows.slice(1).map((r) => r[CSV_HEADER.indexOf('label')])).toEqual(['', '', '', '', '']);
  });
});
