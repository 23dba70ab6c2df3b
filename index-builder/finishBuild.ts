import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelSpec } from '../core/modelSpec';
import { MANIFEST_FILE } from '../storage/dataDirNames';
import type { DataDirWriter } from '../storage/dataDirWriter';
import { writeBuildReport, type BuildOutcome, type BuildReport } from './buildReport';
import type { ProcessedImage } from './imagePipeline';
import { PROJECTIONS_FILE } from './projectionCache';
import { DUPLICATE_PAIRS_FILE, encodePairState, readPairState } from './duplicatePairsFile';
import { NEIGHBOUR_LISTS_FILE, encodeSavedLists, readSavedLists } from './neighbourListsFile';
import { publishBuild } from './publishBuild';
import { publishSettings, withLayoutDims, type PublishSettings } from './publishSettings';
import { keysNamingNoImage, type SourceMeta } from './sourceMeta';
import { fitKeyFor, readPreviousFit, writeFitRecord } from './transformFit';
import { labelSource } from './imageLabels';
import type { StylePairs } from '../models/stylePairsFile';

/** A featurized build, whoever featurized it (this machine or a queue of workers), ready to publish. */
interface FeaturizedBuild extends Omit<
  BuildOutcome,
  'published' | 'modelId' | 'cached' | 'metaKeysWithoutImage'
> {
  /** Open on the data dir; its thumbnails and originals are already written. */
  writer: DataDirWriter;
  settings: PublishSettings & { refit?: boolean };
  /** In listing order. */
  images: ProcessedImage[];
  meta: SourceMeta;
  spec: ModelSpec;
  modelBytes: Uint8Array;
  modelSha256: string;
  /** The model's style pairs, when it has them (buildFingerprint.ts fingerprintBuild reads them). */
  stylePairs?: StylePairs;
  /** Stops the build until its manifest is written (publishBuild.ts). */
  signal?: AbortSignal;
}

/**
 * The tail every build shares: publishes the images (keeping the current transform while the
 * collection has not moved it), records the fit for the next build and writes build-report.json.
 * With no usable image it throws before anything is published, so the previous build stays.
 */
export async function finishBuild(b: FeaturizedBuild): Promise<BuildReport> {
  const { writer, images } = b;
  const settings = withLayoutDims(b.settings, images.length);
  if (images.length === 0) {
    // A first build has no previous one to keep: saying so sent people looking for it.
    const kept = existsSync(join(writer.dir, MANIFEST_FILE))
      ? 'the previous build is kept'
      : 'nothing was published (there is no previous build)';
    throw new Error(`no usable images in ${b.source} (${b.skipped.length} skipped); ${kept}`);
  }
  const fitKey = fitKeyFor(
    b.modelSha256,
    settings,
    b.spec.output.colourBlock,
    labelSource(settings.labelPattern, b.meta),
    b.stylePairs?.sha256,
  );
  const published = await publishBuild({
    writer,
    images,
    meta: b.meta,
    spec: b.spec,
    modelBytes: b.modelBytes,
    stylePairs: b.stylePairs,
    startedAt: b.startedAt,
    ...publishSettings(settings),
    previousFit: await readPreviousFit(writer.dir, fitKey),
    fitKey,
    previousPairs: await readPairState(writer.dir),
    previousLists: await readSavedLists(writer.dir),
    refit: settings.refit,
    signal: b.signal,
  });
  await writeFitRecord(writer, fitKey, published);
  await writer.replaceAtomically(PROJECTIONS_FILE, published.projections.encode());
  if (published.savedLists !== undefined) {
    await writer.replaceAtomically(NEIGHBOUR_LISTS_FILE, encodeSavedLists(published.savedLists));
  }
  await writer.replaceAtomically(DUPLICATE_PAIRS_FILE, encodePairState(published.pairState));
  return writeBuildReport(writer, {
    source: b.source,
    fingerprint: b.fingerprint,
    startedAt: b.startedAt,
    t0: b.t0,
    modelId: b.spec.id,
    listed: b.listed,
    published,
    featurized: b.featurized,
    cached: images.length - b.featurized,
    skipped: b.skipped,
    // Every listed file is indexed or skipped (and reported): a key that is neither names nothing.
    metaKeysWithoutImage: keysNamingNoImage(
      b.meta,
      new Set([...images.map((u) => u.entry.key), ...b.skipped.map((s) => s.key)]),
    ),
    thumbnailsWritten: b.thumbnailsWritten,
    originalsWritten: b.originalsWritten,
    timings: b.timings,
    featurizeMs: b.featurizeMs,
  });
}
