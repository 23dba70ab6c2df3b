import type { SkipReason } from './decodeImage';

/** Why a listed file is not in the index. */
export type BuildSkipReason = SkipReason | 'duplicate-key' | 'featurize-failed';

export interface SkippedFile {
  /** `album/path` in the source. */
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
    filesDeleted: number;
  };
  skipped: SkippedFile[];
  timings: {
    listMs: number;
    /** Read, hash, decode, thumbnail and featurize: the whole per-image pipeline, wall clock. */
    processMs: number;
    /** Opening the ONNX session, inside processMs (only when something needed featurizing). */
    modelLoadMs: number;
    /** Part of processMs the pipeline spent waiting for the model (low = decoding is the bottleneck). */
    modelWaitMs: number;
    assembleMs: number;
    writeMs: number;
    totalMs: number;
  };
  /** featurized / (processMs − modelLoadMs): images per second through the whole pipeline. */
  featurizedPerSecond: number;
  bytes: { index: number; catalog: number; model: number; indexPerImage: number };
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
