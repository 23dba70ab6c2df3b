import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCellIndexHead, decodeCellTransform } from '../core/cellIndexFormat';
import { decodeIndexData } from '../core/indexFormat';
import { isShardedManifest, parseManifest } from '../core/manifest';
import type { ModelOutput } from '../core/modelSpec';
import type { VectorTransform } from '../core/vectorTransform';
import { DEFAULT_DIMS } from './assembleIndex';
import { contentHash, hash16 } from './contentAddress';
import { MANIFEST_FILE } from '../storage/dataDirNames';
import type { DataDirWriter } from '../storage/dataDirWriter';
import type { PublishSettings } from './publishSettings';
import { measureDrift, refitReason } from './transformDrift';
import { openProjections, type Projections } from './projectionCache';

/*
 * Keeping a fitted transform across rebuilds. Next to the manifest the builder keeps transform-fit.json
 * (private, like build-report.json; never deployed): which settings the transform was fitted with and
 * a sample of the images it was fitted on. The next build reads the transform back from the current
 * index, measures how far the images added and removed since then moved it (transformDrift.ts), and
 * keeps it unless that is too far; the sample is carried forward while the transform is, so many small
 * rebuilds add up to a refit instead of drifting for ever.
 */

const TRANSFORM_FIT_FILE = 'transform-fit.json';
/** Images the drift is measured on: a hash-uniform sample of at most this many. */
const DRIFT_SAMPLE = 20_000;

interface TransformFitRecord {
  version: 1;
  /** fitKeyFor the settings it was fitted with. */
  key: string;
  /** SHA-256 of the manifest whose index holds the transform. */
  manifestSha256: string;
  /** An image is in the sample when the first 8 hex digits of its hash, as a number, are below this. */
  sampleBelow: number;
  /** hash16 of the sampled images the transform was fitted on. */
  fittedOn: string[];
}

/** What a build did with the transform, for the build report and the next build. */
export interface FitOutcome {
  reused: boolean;
  /** The drift measured against the previous fit; null when there was none to compare with. */
  drift: number | null;
  /** Why it was refitted, or that it was kept. */
  reason: string;
  sampleBelow: number;
  fittedOn: string[];
}

/** A previous build's transform, and what it was fitted on. */
export interface PreviousFit {
  transform: VectorTransform;
  sampleBelow: number;
  fittedOn: Set<string>;
  /** Its images' projections under it, as far as the previous build kept them (projectionCache.ts). */
  projections?: Projections;
}

/** No previous fit to keep, and why (said in the build's report). */
export interface MissingFit {
  missing: string;
}

/** Bump when fitTransform changes what it computes from the same inputs. */
const FIT_FORMAT = 7;

/**
 * The key of a build's fit: its model, where the model's colour block is, the settings fitTransform
 * takes, where its labels come from and the model's style pairs.
 */
export function fitKeyFor(
  modelSha256: string,
  s: PublishSettings,
  colourBlock: ModelOutput['colourBlock'],
  labels: string | undefined,
  stylePairs?: string,
): string {
  return transformKey({
    fitFormat: FIT_FORMAT,
    modelSha256,
    colourBlock: colourBlock && `${colourBlock.offset}+${colourBlock.dim}`,
    dims: s.dims ?? DEFAULT_DIMS,
    views: s.views ?? 'auto',
    whitenEpsilon: s.whitenEpsilon,
    invarianceRegulariser: s.invarianceRegulariser,
    // Only with labels (imageLabels.ts labelSource), so that the keys of builds without stay as they were;
    // labelFit 2: every labelled row teaches the fit, not only its row sample (labelScatter.ts).
    ...(labels !== undefined ? { labels, labelFit: 2 } : {}),
    // Only with sources (sourcePairs.ts), likewise.
    ...(s.sourcePattern !== undefined ? { sources: s.sourcePattern } : {}),
    // Only with the model's style pairs (their file's sha256), likewise.
    ...(stylePairs !== undefined ? { stylePairs } : {}),
  });
}

/** Everything the fit depends on, hashed: a transform fitted with another key is never reused. */
function transformKey(parts: Record<string, string | number | undefined>): string {
  const sorted = Object.keys(parts)
    .sort()
    .map((k) => [k, parts[k] ?? null]);
  return contentHash(Buffer.from(JSON.stringify(sorted), 'utf8')).slice(0, 32);
}

function sampleBelowFor(count: number): number {
  return Math.min(2 ** 32, Math.ceil((2 ** 32 * DRIFT_SAMPLE) / Math.max(1, count)));
}

function inSample(hash: string, sampleBelow: number): boolean {
  return Number.parseInt(hash.slice(0, 8), 16) < sampleBelow;
}

/**
 * The transform to build with: the previous one when the collection has not moved it (or `refit`
 * is set), else undefined (fit a new one), and what was decided.
 */
export function chooseTransform(
  previous: PreviousFit | MissingFit | undefined,
  images: { hash: string; embedding: Float32Array }[],
  refit: boolean,
): { keep: VectorTransform | undefined; outcome: FitOutcome } {
  const fresh = (reason: string, drift: number | null) => {
    const sampleBelow = sampleBelowFor(images.length);
    const fittedOn = images.map((u) => hash16(u.hash)).filter((h) => inSample(h, sampleBelow));
    return { keep: undefined, outcome: { reused: false, drift, reason, sampleBelow, fittedOn } };
  };
  if (refit) return fresh('fitted: a refit was asked for (--refit)', null);
  if (previous === undefined || 'missing' in previous)
    return fresh(`fitted: ${previous?.missing ?? NO_EARLIER_FIT}`, null);
  const sampled = images.filter((u) => inSample(u.hash, previous.sampleBelow));
  const sample = sampled.map((u) => ({ hash: hash16(u.hash), embedding: u.embedding }));
  const { projections } = previous;
  const measured = measureDrift(
    previous.transform,
    previous.fittedOn,
    sample,
    projections && ((i) => projections.of(sampled[i].hash, sampled[i].embedding)),
  );
  const why = refitReason(measured, previous.fittedOn.size);
  if (why !== null) return fresh(`refitted: ${why}`, measured.drift);
  return {
    keep: previous.transform,
    outcome: {
      reused: true,
      drift: measured.drift,
      reason: `kept: ${measured.added} added and ${measured.removed} removed (of a ${previous.fittedOn.size}-image sample) moved it by ${(measured.drift * 100).toFixed(2)} %`,
      sampleBelow: previous.sampleBelow,
      fittedOn: [...previous.fittedOn],
    },
  };
}

/** Records the fit of the build just published, for the next build. */
export async function writeFitRecord(
  writer: DataDirWriter,
  key: string,
  published: { manifestBytes: Uint8Array; fit: FitOutcome },
): Promise<void> {
  await writer.replaceAtomically(
    TRANSFORM_FIT_FILE,
    fitRecordBytes(key, published.manifestBytes, published.fit),
  );
}

function fitRecordBytes(key: string, manifestBytes: Uint8Array, outcome: FitOutcome): Buffer {
  const record: TransformFitRecord = {
    version: 1,
    key,
    manifestSha256: contentHash(manifestBytes),
    sampleBelow: outcome.sampleBelow,
    fittedOn: [...outcome.fittedOn].sort(),
  };
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}

/**
 * The transform of the data dir's current build, if its fit record is for this manifest and these
 * settings; undefined otherwise (first build, older builder, other settings, a damaged file).
 */
const NO_EARLIER_FIT = 'no earlier fit with these settings to keep';

export async function readPreviousFit(dataDir: string, key: string): Promise<PreviousFit | MissingFit> {
  try {
    const record = JSON.parse(
      await readFile(join(dataDir, TRANSFORM_FIT_FILE), 'utf8'),
    ) as TransformFitRecord;
    if (record.version !== 1 || record.key !== key || !Array.isArray(record.fittedOn))
      return { missing: NO_EARLIER_FIT };
    const manifestBytes = await readFile(join(dataDir, MANIFEST_FILE));
    // A build stopped between publishing its manifest and recording its fit left the older record.
    if (contentHash(manifestBytes) !== record.manifestSha256)
      return {
        missing: "the earlier fit on record is not the published build's (a build was stopped midway)",
      };
    const manifest = parseManifest(JSON.parse(manifestBytes.toString('utf8')));
    const indexBytes = await readFile(join(dataDir, manifest.index.path));
    if (contentHash(indexBytes) !== manifest.index.sha256)
      return { missing: 'the published index does not match its manifest' };
    let transform: VectorTransform;
    if (isShardedManifest(manifest)) {
      const head = decodeCellIndexHead(indexBytes);
      const at = head.transformOffset;
      transform = decodeCellTransform(head, indexBytes.subarray(at, at + head.transformBytes));
    } else {
      transform = decodeIndexData(indexBytes).transform;
    }
    return {
      transform,
      sampleBelow: record.sampleBelow,
      fittedOn: new Set(record.fittedOn),
      projections: await openProjections(dataDir, key, transform),
    };
  } catch {
    return { missing: NO_EARLIER_FIT };
  }
}
