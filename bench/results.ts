import type { AlbumQueryResult } from './albumQueryBench';
import type { AnnResult } from './annBench';
import type { FirstVisitResult } from './firstVisitBench';
import type { MachineInfo } from './machine';
import type { BuilderResult } from './builderBench';
import type { OwnImageResult } from './ownImageBench';
import type { QualityResult } from './qualityBench';
import type { ShardedQueryResult } from './shardedQueryBench';
import type { DistributedBuildResult } from './distributedBench';
import type { DuplicateBenchResult } from './duplicateBench';

/** The shape of bench/results.json. Every area is always present: measured data or why it is missing. */

/**
 * `measuredAt`: when an area was measured by a later `--only` run than the rest of the file (ISO time);
 * `chromium`: that run's browser, when it was not the one `machine` names (absent before December 2026).
 */
export type Section<T> =
  | { ok: true; seconds: number; data: T; measuredAt?: string; chromium?: string }
  | { ok: false; seconds: number; error: string };

interface AlbumQuerySection {
  k: number;
  /** The server design's quoted per-query time, for comparison (not measured here). */
  serverDesignSeconds: { min: number; max: number };
  rows: AlbumQueryResult[];
}

export const BENCH_SECTIONS = [
  'albumQuery',
  'ownImage',
  'builder',
  'quality',
  'firstVisit',
  'annLibraries',
  'sharded',
  'distributedBuild',
  'duplicates',
] as const;

export interface BenchResults {
  version: 1;
  mode: 'quick' | 'full';
  machine: MachineInfo;
  totalSeconds: number;
  albumQuery: Section<AlbumQuerySection>;
  ownImage: Section<{ k: number; rows: OwnImageResult[] }>;
  builder: Section<BuilderResult>;
  quality: Section<QualityResult>;
  firstVisit: Section<FirstVisitResult>;
  annLibraries: Section<AnnResult>;
  sharded: Section<ShardedQueryResult>;
  distributedBuild: Section<DistributedBuildResult>;
  /** Absent in results written before the area existed. */
  duplicates?: Section<DuplicateBenchResult>;
}
