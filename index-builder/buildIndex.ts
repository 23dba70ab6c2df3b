import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFingerprint, findUpToDateBuild } from './buildFingerprint';
import { BUILD_REPORT_FILE, type BuildReport, type SkippedFile } from './buildReport';
import { contentHash, hash16 } from './contentHash';
import { DataDirWriter } from './dataDirWriter';
import { DEFAULT_MAX_PIXELS } from './decodeImage';
import { EmbeddingCache } from './embeddingCache';
import { runImagePipeline } from './imagePipeline';
import type { ImageSource, SourceEntry } from './imageSource';
import type { LoadedModel } from './loadModel';
import { publishBuild, type IndexLayout } from './publishBuild';
import { silentProgress, type ProgressReporter } from './progressReporter';
import { parseSourceMeta } from './sourceMeta';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BuildIndexOptions {
  source: ImageSource;
  outDir: string;
  model: LoadedModel;
  /** Compact vector dimensions and LSH bits; assembleIndex's defaults when omitted. */
  dims?: number;
  bits?: number;
  /** Resident (one index file + one catalog) or sharded (range-loaded cells + catalog shards); default auto. */
  layout?: IndexLayout;
  /** Sharded layout tuning (tests use small values to get many cells and shards from few images). */
  rowsPerCell?: number;
  shardSize?: number;
  /** Folder of the embedding cache; default generated/cache/embeddings/<modelId>/. */
  cacheDir?: string;
  maxPixels?: number;
  /** Images per inference call. */
  batchSize?: number;
  /** Inference threads; default one per core. */
  threads?: number;
  /** Rebuild even when the source and options are unchanged. */
  force?: boolean;
  progress?: ProgressReporter;
}

export interface BuildIndexResult {
  /** True when nothing changed since the last build, which was kept as it is. */
  upToDate: boolean;
  report: BuildReport;
}

/** Per second, one decimal. */
function rate(n: number, ms: number): number {
  return ms > 0 ? Math.round((n / ms) * 10000) / 10 : 0;
}

function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function defaultCacheDir(modelId: string): string {
  return join(REPO_ROOT, 'generated', 'cache', 'embeddings', safeFileName(modelId));
}

/**
 * Builds (or incrementally rebuilds) a data dir from an image source. Bad files are skipped and
 * reported; anything else that goes wrong throws and leaves the previous build untouched.
 */
export async function buildIndex(options: BuildIndexOptions): Promise<BuildIndexResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const { source, model } = options;
  const outDir = resolve(options.outDir);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const { spec } = model;

  const listing = await source.list();
  const listMs = performance.now() - t0;
  const modelBytes = await readFile(model.onnxPath).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read model file ${model.onnxPath}: ${err.code ?? err.message}`);
  });
  const modelSha256 = contentHash(modelBytes);
  const fingerprint = buildFingerprint({
    source: source.description,
    listing,
    modelId: spec.id,
    modelSha256,
    options: {
      dims: options.dims,
      bits: options.bits,
      maxPixels,
      layout: options.layout ?? 'auto',
      rowsPerCell: options.rowsPerCell,
      shardSize: options.shardSize,
    },
  });
  if (options.force !== true) {
    const previous = await findUpToDateBuild(outDir, fingerprint);
    if (previous !== undefined) return { upToDate: true, report: previous };
  }
  const meta = parseSourceMeta(listing.metaFile ? await source.readMeta() : undefined);

  const writer = new DataDirWriter(outDir);
  await writer.open();
  try {
    const cacheDir = options.cacheDir ?? defaultCacheDir(spec.id);
    // Named after the model's bytes too: a spec whose id stays the same over new weights must not
    // be served the old weights' embeddings.
    const cache = await EmbeddingCache.open(
      join(cacheDir, `${safeFileName(spec.id)}.${hash16(modelSha256)}.embeddings`),
      spec.id,
      spec.output.dim,
    );

    // A root file and a sub-folder named like the source can claim the same key.
    const skipped: SkippedFile[] = [];
    const seenKeys = new Set<string>();
    const entries: SourceEntry[] = [];
    for (const e of listing.entries) {
      if (seenKeys.has(e.key)) {
        skipped.push({ key: e.key, reason: 'duplicate-key', message: `another file is also ${e.key}` });
      } else {
        seenKeys.add(e.key);
        entries.push(e);
      }
    }

    const processed = await runImagePipeline({
      entries,
      source,
      writer,
      cache,
      model,
      maxPixels,
      batchSize: options.batchSize ?? 32,
      threads: options.threads,
      progress: options.progress ?? silentProgress,
    });
    const images = processed.images;
    skipped.push(...processed.skipped);
    if (images.length === 0) {
      throw new Error(
        `no usable images in ${source.description} (${skipped.length} skipped); the previous build is kept`,
      );
    }

    const published = await publishBuild({
      writer,
      images,
      meta,
      spec,
      modelBytes,
      startedAt,
      dims: options.dims,
      bits: options.bits,
      layout: options.layout,
      rowsPerCell: options.rowsPerCell,
      shardSize: options.shardSize,
    });
    const { bytes } = published;

    const report: BuildReport = {
      reportVersion: 1,
      source: source.description,
      fingerprint,
      manifestSha256: contentHash(published.manifestBytes),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      modelId: spec.id,
      dims: published.dims,
      bits: published.bits,
      counts: {
        listed: listing.entries.length,
        indexed: published.count,
        featurized: processed.featurized,
        cached: images.length - processed.featurized,
        skipped: skipped.length,
        thumbnailsWritten: processed.thumbnailsWritten,
        originalsWritten: processed.originalsWritten,
        filesDeleted: published.filesDeleted,
      },
      skipped: skipped.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      timings: {
        listMs: Math.round(listMs),
        processMs: Math.round(processed.processMs),
        modelLoadMs: Math.round(processed.modelLoadMs),
        modelWaitMs: Math.round(processed.modelWaitMs),
        assembleMs: Math.round(published.assembleMs),
        writeMs: Math.round(published.writeMs),
        totalMs: Math.round(performance.now() - t0),
      },
      featurizedPerSecond: rate(processed.featurized, processed.processMs - processed.modelLoadMs),
      bytes: {
        ...bytes,
        indexPerImage: Math.round((bytes.index / published.count) * 10) / 10,
      },
    };
    await writer.replaceAtomically(
      BUILD_REPORT_FILE,
      Buffer.from(`${JSON.stringify(report, null, 2)}\n`, 'utf8'),
    );
    return { upToDate: false, report };
  } finally {
    await writer.close();
  }
}
