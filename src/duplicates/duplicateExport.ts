import { similarityLabel, type SimilarityCalibration, type SimilarityLabel } from '../../core/calibration';
import type { DuplicateGroup, DuplicateGroupsPage, DuplicateStrictness } from '../../workers/searchApi';
import { toCsv, type CsvValue } from './csv';

/** Every group at one strictness, as the export files carry them. */
export interface DuplicateGroupsAll {
  strictness: DuplicateStrictness;
  threshold: number;
  totalGroups: number;
  totalImages: number;
  groups: DuplicateGroup[];
}

/** Groups asked of the worker per call while collecting all of them. */
export const EXPORT_CHUNK = 500;

/**
 * All groups at `strictness`, collected page by page from the worker (the page only ever holds a few
 * of them). Null when the build has no duplicates file; throws if the build changes under the export.
 */
export async function collectAllGroups(
  fetchPage: (
    strictness: DuplicateStrictness,
    start: number,
    count: number,
  ) => Promise<DuplicateGroupsPage | null>,
  strictness: DuplicateStrictness,
  chunk = EXPORT_CHUNK,
): Promise<DuplicateGroupsAll | null> {
  const first = await fetchPage(strictness, 0, chunk);
  if (first === null) return null;
  const groups = [...first.groups];
  while (groups.length < first.totalGroups) {
    const next = await fetchPage(strictness, groups.length, chunk);
    if (next === null || next.totalGroups !== first.totalGroups || next.start !== groups.length)
      throw new Error('the collection changed while its duplicate groups were being exported; export again');
    if (next.groups.length === 0) throw new Error(`the worker returned no groups from ${groups.length} on`);
    groups.push(...next.groups);
  }
  const { threshold, totalGroups, totalImages } = first;
  return { strictness, threshold, totalGroups, totalImages, groups };
}

function labelOf(score: number, calibration: SimilarityCalibration | null): SimilarityLabel | null {
  return calibration ? similarityLabel(score, calibration) : null;
}

/**
 * JSON export: the groups with, per member, its score to the group's first member, the label the
 * collection's calibration gives that score (null without one) and what a person needs to pick the
 * copy to keep (album, name, pixel size, file size, path of the original in the data dir).
 */
export function duplicatesJson(all: DuplicateGroupsAll, calibration: SimilarityCalibration | null): string {
  return `${JSON.stringify(
    {
      strictness: all.strictness,
      threshold: all.threshold,
      totalGroups: all.totalGroups,
      totalImages: all.totalImages,
      groups: all.groups.map((g) => ({
        minScore: g.minScore,
        members: g.members.map(({ item, score }) => ({
          id: item.id,
          album: item.album,
          name: item.name,
          score,
          label: labelOf(score, calibration),
          width: item.width,
          height: item.height,
          bytes: item.bytes ?? null,
          original: item.original,
        })),
      })),
    },
    null,
    2,
  )}\n`;
}

export const CSV_HEADER = [
  'group',
  'group_size',
  'group_min_score',
  'member',
  'score',
  'label',
  'id',
  'album',
  'name',
  'width',
  'height',
  'bytes',
  'original',
] as const;

/** CSV export: one row per member, groups and members numbered from 1 in page order. */
export function duplicatesCsv(all: DuplicateGroupsAll, calibration: SimilarityCalibration | null): string {
  const rows: CsvValue[][] = all.groups.flatMap((g, gi) =>
    g.members.map(({ item, score }, mi) => [
      gi + 1,
      g.members.length,
      g.minScore,
      mi + 1,
      score,
      labelOf(score, calibration),
      item.id,
      item.album,
      item.name,
      item.width,
      item.height,
      item.bytes ?? null,
      item.original,
    ]),
  );
  return toCsv(CSV_HEADER, rows);
}
