import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { augmentPlan } from './augmentedViews';
import { findUpToDateBuild, fingerprintBuild } from './buildFingerprint';
import type { BuildReport } from './buildReport';
import { hash16 } from './contentAddress';
import { DataDirWriter } from '../storage/dataDirWriter';
import { DEFAULT_MAX_PIXELS } from './decodeImage';
import { EmbeddingCache } from './embeddingCache';
import { runImagePipeline } from './imagePipeline';
import type { ImageSource } from './imageSource';
import type { ModelSpec } from '../core/modelSpec';
import type { LoadedModel } from './loadModel';
import { finishBuild } from './finishBuild';
import type { PublishSettings } from './publishSettings';
import { silentProgress, type ProgressReporter } from './progressReporter';
import { parseSourceMeta } from './sourceMeta';
import { SOURCE_FILES_FILE, readSourceFileRecords, sourceFileRecordsBytes } from './sourceFileRecords';
import { uniqueEntries } from './uniqueEntries';
import { diskFull } from './diskFull';
import { MANIFEST_FILE } from '../storage/dataDirNames';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The publish settings: dims/bits default to assembleIndex's, layout to 'auto'. */

/** Images per inference call when the caller names none. */
export const DEFAULT_BATCH_SIZE = 32;
export interface BuildIndexOptions extends PublishSettings {
  source: ImageSource;
  dataDir: string;
  model: LoadedModel;
  /** Folder of the embedding cache; default generated/cache/embeddings/<modelId>/. */
  cacheDir?: string;
  maxPixels?: number;
  /** Images per inference call. */
  batchSize?: number;
  /** Inference threads; default one per core. */
  threads?: number;
  /** Rebuild even when the source and options are unchanged. */
  force?: boolean;
  /** Fit a new transform even when the images added and removed have not moved the current one. */
  refit?: boolean;
  progress?: ProgressReporter;
  /**
   * Stops the build (buildInterrupt.ts): it throws the signal's reason after cleaning up as after any
   * failure, with nothing published, unless the signal came once the build was publishing.
   */
  signal?: AbortSignal;
}

export interface BuildIndexResult {
  /** True when nothing changed since the last build, which was kept as it is. */
  upToDate: boolean;
  report: BuildReport;
}

function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function defaultCacheDir(modelId: string): string {
  return join(REPO_ROOT, 'generated', 'cache', 'embeddings', safeFileName(modelId));
}

/**
 * The embedding cache file of one model's weights, in `cacheDir` (default: defaultCacheDir). Named
 * after the model's bytes too: a spec whose id stays the same over new weights must not be served
 * the old weights' embeddings.
 */
export function modelCacheFile(cacheDir: string | undefined, spec: ModelSpec, modelSha256: string): string {
  return join(
    cacheDir ?? defaultCacheDir(spec.id),
    `${safeFileName(spec.id)}.${hash16(modelSha256)}.embeddings`,
  );
}

/** The embedding cache of one model's weights (modelCacheFile). */
export function openModelCache(
  cacheDir: string | undefined,
  spec: ModelSpec,
  modelSha256: string,
): Promise<EmbeddingCache> {
  return EmbeddingCache.open(modelCacheFile(cacheDir, spec, modelSha256), spec.id, spec.output.dim);
}

/**
 * Builds (or incrementally rebuilds) a data dir from an image source. Bad files are skipped and
 * reported; anything else that goes wrong throws and leaves the previous build untouched.
 */
export async function buildIndex(options: BuildIndexOptions): Promise<BuildIndexResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const { source, model } = options;
  const dataDir = resolve(options.dataDir);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const { spec } = model;

  // A folder source leaves the data dir out when it lies inside it (and reports that).
  const listing = await source.list({ dataDir });
  const listMs = performance.now() - t0;
  const { fingerprint, modelBytes, modelSha256, stylePairs } = await fingerprintBuild({
    source: source.description,
    listing,
    model,
    maxPixels,
    settings: options,
  });
  if (options.force !== true && options.refit !== true) {
    const previous = await findUpToDateBuild(dataDir, fingerprint);
    if (previous !== undefined) return { upToDate: true, report: previous };
  }
  const meta = parseSourceMeta(listing.metaFile ? await source.readMeta() : undefined);

  // Before the data dir is touched: a cache that cannot be opened fails the build with nothing written.
  const cache = await openModelCache(options.cacheDir, spec, modelSha256);
  const writer = new DataDirWriter(dataDir);
  await writer.open();
  try {
    const { entries, skipped } = uniqueEntries(listing);
    const records = await readSourceFileRecords(dataDir, maxPixels);

    const processed = await runImagePipeline({
      entries,
      source,
      writer,
      cache,
      model,
      maxPixels,
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      threads: options.threads,
      augment: augmentPlan(entries.length, options.views),
      known: (entry) => records.lookup(entry),
      // --force tries every file again, those skipped before included.
      knownSkip: options.force === true ? undefined : (entry) => records.lookupSkip(entry),
      keepMetadata: options.keepMetadata,
      progress: options.progress ?? silentProgress,
      signal: options.signal,
    });
    options.signal?.throwIfAborted();
    skipped.push(...processed.skipped);
    const report = await finishBuild({
      writer,
      signal: options.signal,
      settings: options,
      images: processed.images,
      meta,
      spec,
      modelBytes,
      modelSha256,
      stylePairs,
      source: source.description,
      fingerprint,
      startedAt,
      t0,
      listed: listing.entries.length + listing.skipped.length,
      featurized: processed.featurized,
      skipped,
      thumbnailsWritten: processed.thumbnailsWritten,
      originalsWritten: processed.originalsWritten,
      timings: {
        listMs,
        processMs: processed.processMs,
        modelLoadMs: processed.modelLoadMs,
        modelWaitMs: processed.modelWaitMs,
      },
      featurizeMs: processed.processMs - processed.modelLoadMs,
    });
    // Only after the build is published: the records speak for the images it holds.
    await writer.replaceAtomically(
      SOURCE_FILES_FILE,
      sourceFileRecordsBytes(processed.images, maxPixels, startedAt.getTime(), {
        skipped: processed.skipped,
        entries,
      }),
    );
    await writer.close();
    return { upToDate: false, report };
  } catch (err) {
    // The build's own error is the one to report: clearing the staging after it can fail too (writes
    // of the images still in flight), and must not take its place.
    await writer.close().catch(() => undefined);
    throw (
      diskFull(
        err,
        dataDir,
        writer.published ? 'this' : existsSync(join(dataDir, MANIFEST_FILE)) ? 'previous' : 'none',
      ) ?? err
    );
  }
}
