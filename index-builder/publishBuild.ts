import type { ModelSpec } from '../core/modelSpec';
import type { DataDirWriter } from '../storage/dataDirWriter';
import type { DuplicatesReport } from './buildDuplicates';
import type { PairState } from './duplicatePairsFile';
import type { ProcessedImage } from './imagePipeline';
import type { SavedLists } from './neighbourListsFile';
import type { Projections } from './projectionCache';
import { publishResident } from './publishResident';
import { resolveLayout, type PublishSettings } from './publishSettings';
import { publishSharded } from './publishSharded';
import type { SourceMeta } from './sourceMeta';
import type { FitOutcome, MissingFit, PreviousFit } from './transformFit';
import type { StylePairs } from '../models/stylePairsFile';

export interface PublishBuildOptions extends PublishSettings {
  writer: DataDirWriter;
  /** Featurized images in listing order; their thumbnails and originals are already in the writer. */
  images: ProcessedImage[];
  meta: SourceMeta;
  spec: ModelSpec;
  modelBytes: Uint8Array;
  /** The model's style pairs (models/stylePairsFile.ts), when it has them: a learned fit damps them too. */
  stylePairs?: StylePairs;
  startedAt: Date;
  /** The current build's transform and what it was fitted on (transformFit.ts), to keep if still valid. */
  previousFit?: PreviousFit | MissingFit;
  /** transformFit.ts's fitKeyFor these settings: what the projections written for the next build are for. */
  fitKey: string;
  /** The current build's duplicate pair scan (duplicatePairReuse.ts), to reuse where still valid. */
  previousPairs?: PairState;
  /** The current build's neighbour lists (neighbourListsFile.ts), to start from where still valid. */
  previousLists?: SavedLists;
  /** Fit a new transform even if the previous one is still valid. */
  refit?: boolean;
  /**
   * Stops the build (buildInterrupt.ts) up to the moment the manifest is written: a fit and the
   * neighbour lists take minutes on a large collection, and a stop asked for then was not heard until
   * the build had published.
   */
  signal?: AbortSignal;
}

export interface PublishedBuild {
  /** Whether the transform was kept from the previous build or fitted, and why. */
  fit: FitOutcome;
  /** The images' projections under the published transform, to keep for the next build. */
  projections: Projections;
  /** The build's duplicate pair scan, to keep for the next build. */
  pairState: PairState;
  /** A resident build's neighbour lists, to keep for the next build. */
  savedLists?: SavedLists;
  manifestBytes: Uint8Array;
  count: number;
  dims: number;
  bits: number;
  /** `transform`: the part of the index that is the transform (own-image searches need it), whatever the collection's size. */
  bytes: { index: number; catalog: number; model: number; transform: number };
  filesDeleted: number;
  /** Edited copies the transform learned from; 0 when there were too few (fitTransform's MIN_VIEWS). */
  views: number;
  /**
   * The labels (imageLabels.ts) two or more images share and how many images carry them: what the
   * transform learned from besides views; absent when the build has no labels.
   */
  labelled?: { images: number; labels: number };
  /**
   * How many images have a source (imageLabels.ts buildSources), in how many sources, and the
   * cross-source pairs a fit in this build learned from (absent when the transform was kept); absent
   * when the build has no source pattern.
   */
  sourced?: { images: number; sources: number; pairs?: number };
  /** The near-duplicate groups (buildDuplicates.ts); their time is part of assembleMs. */
  duplicates: DuplicatesReport;
  assembleMs: number;
  /** Where assembleMs went: the transform (kept or fitted) and the index, the calibration, the duplicate groups. */
  assembleParts: AssembleParts;
  writeMs: number;
}

export interface AssembleParts {
  indexMs: number;
  calibrationMs: number;
  duplicatesMs: number;
  /** Resident builds: every image's neighbour list (neighbourLists.ts). */
  neighboursMs?: number;
  /** Of them, rows whose list was scanned whole (the others came from the previous build's). */
  neighboursScanned?: number;
}

/**
 * The second half of every build, whoever featurized the images: fits and writes the index, catalog
 * and model, then the manifest last (what makes the build visible), then removes files no longer
 * referenced. Same images in, same bytes out.
 */
export function publishBuild(o: PublishBuildOptions): Promise<PublishedBuild> {
  return resolveLayout(o.layout, o.images.length) === 'sharded' ? publishSharded(o) : publishResident(o);
}
