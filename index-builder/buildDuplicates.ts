import type { SimilarityCalibration } from '../core/calibration';
import {
  DEFAULT_DUPLICATE_SHARD_SIZE,
  DUPLICATE_STRICTNESS,
  duplicatesSummary,
  encodeDuplicates,
  type DuplicateStrictness,
  type DuplicatesSummary,
  type ThresholdSource,
} from '../core/duplicatesFormat';
import { contentAddressedName, fileRefFor, type FileRef } from '../core/manifest';
import { duplicateThresholds, findDuplicateGroups, loosestThreshold } from './duplicateDetection';
import { reusablePairs } from './duplicatePairReuse';
import type { CellClustering } from './cellClustering';
import type { PairState } from './duplicatePairsFile';

/*
 * The duplicates step of publishBuild, the same for every build (single-machine or distributed,
 * resident or sharded): thresholds, groups, the encoded file (and shards), and what the build report
 * says about it.
 */

/** What build-report.json says about the duplicate groups. */
export interface DuplicatesReport {
  /** Where the thresholds came from: the calibration, or the documented constants without one. */
  thresholdSource: ThresholdSource;
  thresholds: Record<DuplicateStrictness, number>;
  groups: Record<DuplicateStrictness, number>;
  images: Record<DuplicateStrictness, number>;
  /** Candidate pairs at the loosest threshold, and int8 dot products computed to find them. */
  pairs: number;
  comparisons: number;
  /** Rows whose pairs this build scanned; a rebuild takes the others' from the previous build. */
  rowsScanned: number;
  /** Bytes of the file plus its shards. */
  bytes: number;
  ms: number;
}

interface BuiltDuplicates {
  /** Files to write (the duplicates file first, then shards), by path relative to the data dir. */
  files: [string, Uint8Array][];
  manifestField: DuplicatesSummary & { file: FileRef };
  report: DuplicatesReport;
  /** This build's pair scan, for the next build (duplicatePairReuse.ts). */
  pairState: PairState;
  /** The cells the scan used, kept from the previous build where it could (a sharded index's cells). */
  cells: CellClustering;
}

interface BuildDuplicatesInput {
  /** Int8 vectors, `dims` each, in an order the build keeps (index rows, or the listing for sharded). */
  vectors: Int8Array;
  dims: number;
  positionOf: (row: number) => number;
  itemAt: (position: number) => { id: string; width: number; height: number };
  /** Where the thresholds come from (duplicateDetection.ts has the constants for builds without one). */
  calibration: SimilarityCalibration | null;
  /** Sharded layout: the groups go into shard files of this many groups (default 256). */
  sharded: boolean;
  shardSize?: number;
  /**
   * Each row's content hash, the key of what its rows depend on (pairStateKey), and the previous
   * build's pair scan, to reuse where still valid (duplicatePairReuse.ts); the cell size to cluster at.
   */
  reuse: { hashes: string[]; key: Buffer; previous?: PairState; rowsPerCell?: number };
}

export function buildDuplicates(o: BuildDuplicatesInput): BuiltDuplicates {
  const started = performance.now();
  const count = o.vectors.length / o.dims;
  const { thresholds, source } = duplicateThresholds(o.calibration);
  const scan = reusablePairs({
    vectors: o.vectors,
    dims: o.dims,
    threshold: loosestThreshold(thresholds),
    ...o.reuse,
  });
  const found = findDuplicateGroups({
    vectors: o.vectors,
    dims: o.dims,
    positionOf: o.positionOf,
    itemAt: o.itemAt,
    thresholds,
    pairs: scan.pairs,
  });
  const encoded = encodeDuplicates({
    count,
    thresholdSource: source,
    levels: found.levels,
    shardSize: o.sharded ? (o.shardSize ?? DEFAULT_DUPLICATE_SHARD_SIZE) : undefined,
  });
  const name = contentAddressedName('duplicates', 'json', encoded.bytes);
  const files: [string, Uint8Array][] = [[name, encoded.bytes], ...encoded.shards];
  const groups = {} as Record<DuplicateStrictness, number>;
  const images = {} as Record<DuplicateStrictness, number>;
  for (const s of DUPLICATE_STRICTNESS) {
    groups[s] = encoded.file.levels[s].groups;
    images[s] = encoded.file.levels[s].images;
  }
  return {
    files,
    manifestField: { ...duplicatesSummary(encoded.file), file: fileRefFor(name, encoded.bytes) },
    report: {
      thresholdSource: source,
      thresholds,
      groups,
      images,
      pairs: found.pairs,
      comparisons: found.comparisons,
      rowsScanned: scan.scanned,
      bytes: files.reduce((n, [, b]) => n + b.length, 0),
      ms: Math.round(performance.now() - started),
    },
    pairState: scan.state,
    cells: scan.cells,
  };
}
