import { contentHash } from './contentAddress';
import type { DataDirWriter } from '../storage/dataDirWriter';
import type { SkipReason } from './decodeImage';
import type { ListingSkipReason } from './imageSource';
import type { DuplicatesReport } from './buildDuplicates';
import type { AssembleParts } from './publishBuild';
import type { PublishedBuild } from './publishBuild';

/** Why a listed file (or folder, or S3 key) is not in the index. */
export type BuildSkipReason = SkipReason | ListingSkipReason | 'duplicate-key' | 'featurize-failed';

export interface SkippedFile {
  /** `album/path` in the source; `folder/path/` for a folder, the raw key below the prefix for a bad S3 key. */
  key: string;
  reason: BuildSkipReason;
  message: string;
}

export const BUILD_REPORT_FILE = 'build-report.json';

/** build-report.json in the data dir: what the last successful build did. */
export interface BuildReport {
  reportVersion: 1;
  source: string;
  /** Hash of names, sizes, versions, model and options; equal fingerprints mean nothing to rebuild. */
  fingerprint: string;
  /** SHA-256 of the manifest.json this build wrote. */
  manifestSha256: string;
  startedAt: string;
  finishedAt: string;
  modelId: string;
  dims: number;
  bits: number;
  counts: {
    listed: number;
    indexed: number;
    /** Images run through the model in this build. */
    featurized: number;
    /** Images whose embedding came from the cache. */
    cached: number;
    skipped: number;
    thumbnailsWritten: number;
    originalsWritten: number;
    /**
     * Thumbnails and originals among those written that replaced a damaged file of the same name
     * (storage/mediaSizes.ts); absent when none did.
     */
    repaired?: { thumbnails: number; originals: number };
    filesDeleted: number;
    /** Edited copies the transform learned from (0: a plain whitened PCA). */
    views: number;
    /** Images whose label (imageLabels.ts) another image shares; absent when the build has no labels. */
    labelled?: number;
    /** The labels those images share; absent when the build has no labels. */
    labels?: number;
    /** Images with a source (imageLabels.ts buildSources); absent without --source-pattern. */
    sourced?: number;
    /** How many sources they come from; absent without --source-pattern. */
    sources?: number;
    /** Cross-source pairs the fit learned from (sourcePairs.ts); absent without sources or when the transform was kept. */
    sourcePairs?: number;
  };
  skipped: SkippedFile[];
  /**
   * Keys of the source's lookalike-meta.json that name no file in it (sourceMeta.ts keysNamingNoImage),
   * sorted: their fields reach no image. Absent when there are none (and in older reports).
   */
  metaKeysWithoutImage?: string[];
  timings: {
    listMs: number;
    /** Read, hash, decode, thumbnail and featurize: the whole per-image pipeline, wall clock. */
    processMs: number;
    /** Opening the ONNX session, inside processMs (only when something needed featurizing). */
    modelLoadMs: number;
    /** Part of processMs the pipeline spent waiting for the model (low = decoding is the bottleneck). */
    modelWaitMs: number;
    assembleMs: number;
    /** assembleMs by step; absent in older reports. */
    assembleParts?: AssembleParts;
    writeMs: number;
    totalMs: number;
  };
  /** featurized / (processMs − modelLoadMs): images per second through the whole pipeline. */
  featurizedPerSecond: number;
  /** Whether the transform was kept from the previous build (transformFit.ts); absent in older reports. */
  transform?: {
    reused: boolean;
    drift: number | null;
    reason: string;
    /** Images projected under it by this build; the others' projections were kept (projectionCache.ts). */
    projected?: number;
  };
  /** The near-duplicate groups: thresholds and where they came from, counts, cost; absent in older reports. */
  duplicates?: DuplicatesReport;
  /** `transform`: the index's fixed part (absent in older reports); `indexPerImage` counts it in. */
  bytes: { index: number; catalog: number; model: number; transform?: number; indexPerImage: number };
}

/** Reads a report written by a previous build; undefined when missing or unreadable. */
export function parseBuildReport(text: string): BuildReport | undefined {
  try {
    const r = JSON.parse(text) as Partial<BuildReport>;
    if (r.reportVersion !== 1 || typeof r.fingerprint !== 'string' || typeof r.manifestSha256 !== 'string') {
      return undefined;
    }
    return r as BuildReport;
  } catch {
    return undefined;
  }
}

/** What a build did, however it featurized; writeBuildReport turns it into build-report.json. */
export interface BuildOutcome {
  source: string;
  fingerprint: string;
  startedAt: Date;
  /** performance.now() when the build started. */
  t0: number;
  modelId: string;
  listed: number;
  published: PublishedBuild;
  featurized: number;
  cached: number;
  skipped: SkippedFile[];
  metaKeysWithoutImage: string[];
  thumbnailsWritten: number;
  originalsWritten: number;
  timings: Pick<BuildReport['timings'], 'listMs' | 'processMs' | 'modelLoadMs' | 'modelWaitMs'>;
  /** Wall clock the featurized images took (featurizedPerSecond = featurized / this). */
  featurizeMs: number;
}

/** Per second, one decimal. */
function rate(n: number, ms: number): number {
  return ms > 0 ? Math.round((n / ms) * 10000) / 10 : 0;
}

/** Writes build-report.json next to the manifest the build just published, and returns it. */
export async function writeBuildReport(writer: DataDirWriter, o: BuildOutcome): Promise<BuildReport> {
  const { published } = o;
  const { bytes } = published;
  const report: BuildReport = {
    reportVersion: 1,
    source: o.source,
    fingerprint: o.fingerprint,
    manifestSha256: contentHash(published.manifestBytes),
    startedAt: o.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    modelId: o.modelId,
    dims: published.dims,
    bits: published.bits,
    counts: {
      listed: o.listed,
      indexed: published.count,
      featurized: o.featurized,
      cached: o.cached,
      skipped: o.skipped.length,
      thumbnailsWritten: o.thumbnailsWritten,
      originalsWritten: o.originalsWritten,
      ...(writer.repaired.thumbnails + writer.repaired.originals > 0 ? { repaired: writer.repaired } : {}),
      filesDeleted: published.filesDeleted,
      views: published.views,
      ...(published.labelled !== undefined
        ? { labelled: published.labelled.images, labels: published.labelled.labels }
        : {}),
      ...(published.sourced !== undefined
        ? {
            sourced: published.sourced.images,
            sources: published.sourced.sources,
            ...(published.sourced.pairs !== undefined ? { sourcePairs: published.sourced.pairs } : {}),
          }
        : {}),
    },
    skipped: [...o.skipped].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    ...(o.metaKeysWithoutImage.length > 0 ? { metaKeysWithoutImage: o.metaKeysWithoutImage } : {}),
    timings: {
      listMs: Math.round(o.timings.listMs),
      processMs: Math.round(o.timings.processMs),
      modelLoadMs: Math.round(o.timings.modelLoadMs),
      modelWaitMs: Math.round(o.timings.modelWaitMs),
      assembleMs: Math.round(published.assembleMs),
      assembleParts: {
        indexMs: Math.round(published.assembleParts.indexMs),
        calibrationMs: Math.round(published.assembleParts.calibrationMs),
        duplicatesMs: Math.round(published.assembleParts.duplicatesMs),
        ...(published.assembleParts.neighboursMs === undefined
          ? {}
          : {
              neighboursMs: Math.round(published.assembleParts.neighboursMs),
              neighboursScanned: published.assembleParts.neighboursScanned,
            }),
      },
      writeMs: Math.round(published.writeMs),
      totalMs: Math.round(performance.now() - o.t0),
    },
    featurizedPerSecond: rate(o.featurized, o.featurizeMs),
    transform: {
      reused: published.fit.reused,
      drift: published.fit.drift === null ? null : Math.round(published.fit.drift * 1e4) / 1e4,
      reason: published.fit.reason,
      projected: published.projections.computed,
    },
    duplicates: published.duplicates,
    bytes: { ...bytes, indexPerImage: Math.round((bytes.index / published.count) * 10) / 10 },
  };
  await writer.replaceAtomically(
    BUILD_REPORT_FILE,
    Buffer.from(`${JSON.stringify(report, null, 2)}\n`, 'utf8'),
  );
  return report;
}
