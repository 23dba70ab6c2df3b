import pLimit from 'p-limit';
import { featurize } from '../core/featurize';
import type { RgbaImage } from '../core/rgbaImage';
import { makeViews, viewCacheKey, type AugmentPlan } from './augmentedViews';
import type { SkippedFile } from './buildReport';
import { contentHash } from './contentAddress';
import { thumbnailName } from '../storage/dataDirNames';
import {
  ImageDecodeError,
  decodeImage,
  makeThumbnail,
  makeThumbnailFromPixels,
  readImageInfo,
  type DecodedImage,
  type ImageInfo,
  type SkipReason,
} from './decodeImage';
import type { EmbeddingCache } from './embeddingCache';
import { SourceChangedError, type ImageSource, type SourceEntry } from './imageSource';
import { SIGNATURE_BYTES, unfitToRead } from './imageSignature';
import type { LoadedModel } from './loadModel';
import type { OnnxModelRunner } from './onnxModelRunner';
import type { ProgressReporter } from './progressReporter';
import { VECTOR_RENDER_SECONDS, isVector, safeOriginal, type SafeOriginal } from './safeOriginal';
import { storedOriginalName } from '../storage/storedOriginal';
import { VectorRenderer } from './vectorRenderer';
import type { KnownFile } from './sourceFileRecords';
import { cachedViews, recallUnchanged, viewCountFor } from './unchangedImage';
import { createWorkerModelRunner } from './workerModelRunner';
import { untilAborted } from './untilAborted';

/** An image that made it: its embedding plus what the catalog needs. */
export interface ProcessedImage {
  entry: SourceEntry;
  /** SHA-256 of the file's bytes. */
  hash: string;
  width: number;
  height: number;
  /** Extension of `originals/<hash16>.<ext>`. */
  ext: string;
  embedding: Float32Array;
  /** Embeddings of edited copies, for images the augment plan picked (index-builder/augmentedViews.ts). */
  views?: Float32Array[];
}

/**
 * Where the pipeline puts thumbnails and originals under their content-addressed names: the data dir
 * (a DataDirWriter) for a single-machine build, a build's work prefix in S3 for a distributed worker.
 */
export interface MediaSink {
  /**
   * True if that name is already stored, so the pipeline need not make it. A data dir says so only of
   * an intact file (DataDirWriter.has): a damaged one is made again.
   */
  has(name: string): Promise<boolean>;
  /** Stores the bytes unless that name is already there; true if it wrote them. */
  putContentAddressed(name: string, bytes: Uint8Array, durable?: boolean): Promise<boolean>;
}

interface ImagePipelineOptions {
  entries: SourceEntry[];
  source: ImageSource;
  writer: MediaSink;
  cache: EmbeddingCache;
  model: LoadedModel;
  maxPixels: number;
  batchSize: number;
  threads?: number;
  /** Which images get edited copies for learning the index transform; none when absent. */
  augment?: AugmentPlan;
  /**
   * Where to get the model runner instead of starting one of its own (the caller releases it): a
   * worker serving many jobs loads the model once, not once per job.
   */
  sharedRunner?: () => Promise<OnnxModelRunner>;
  /**
   * What an earlier build learned from a file that has not changed since (sourceFileRecords.ts): such a
   * file is not read again when its embedding (and views) are cached and its thumbnail and original
   * are already stored, intact (MediaSink.has).
   */
  known?: (entry: SourceEntry) => KnownFile | undefined;
  /** Why an unchanged file was skipped by an earlier build (sourceFileRecords.ts): it is not read again. */
  knownSkip?: (entry: SourceEntry) => { reason: SkipReason; message: string } | undefined;
  /** Store originals with their metadata (EXIF, XMP…) as the source has it; default: stripped (safeOriginal.ts). */
  keepMetadata?: boolean;
  progress: ProgressReporter;
  /**
   * Stops the pipeline (buildInterrupt.ts): it throws the signal's reason as soon as it is aborted,
   * after the model has finished the batch it runs.
   */
  signal?: AbortSignal;
}

/** A file the source could not give: `sourceChanged` when it is no longer what was listed. */
export interface ReadFailure {
  key: string;
  message: string;
  sourceChanged: boolean;
}

interface ImagePipelineResult {
  /** In the order of `entries`. */
  images: ProcessedImage[];
  skipped: SkippedFile[];
  /** Files read from the source (not recalled from an earlier build), and those reads that failed. */
  reads: number;
  readFailures: ReadFailure[];
  featurized: number;
  thumbnailsWritten: number;
  originalsWritten: number;
  processMs: number;
  modelLoadMs: number;
  modelWaitMs: number;
}

/** An image on its way through the pipeline; `pixels` is set while it waits for the model. */
interface InProgress extends Omit<ProcessedImage, 'embedding'> {
  embedding?: Float32Array;
  pixels?: RgbaImage;
  /** Views the plan asks for; `views` is set once all of them are known. */
  viewCount: number;
  /** Its embedding (and views) came from an earlier build or the cache: the model has nothing to do. */
  reused?: true;
}

// Promises started ahead are awaited later; a no-op handler keeps an early rejection from counting
// as unhandled (it is still thrown where the promise is awaited).
function ahead<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Reads, hashes, thumbnails, copies and featurizes every entry. Embeddings come from the cache when
 * the content is known; bad images are skipped with a reason. Three stages overlap: chunk i+2 is read
 * and decoded (sharp, libuv pool), chunk i+1 is preprocessed (main thread) and chunk i runs through
 * the model (worker thread). Failing to write the data dir or to run the model throws.
 */
export async function runImagePipeline(opts: ImagePipelineOptions): Promise<ImagePipelineResult> {
  const { source, writer, cache, model, maxPixels, progress } = opts;
  const keepMetadata = opts.keepMetadata === true;
  const { spec } = model;
  const result: ImagePipelineResult = {
    images: [],
    skipped: [],
    reads: 0,
    readFailures: [],
    featurized: 0,
    thumbnailsWritten: 0,
    originalsWritten: 0,
    processMs: 0,
    modelLoadMs: 0,
    modelWaitMs: 0,
  };

  const skip = (entry: SourceEntry, err: ImageDecodeError, reused = false): undefined => {
    result.skipped.push({ key: entry.key, reason: err.reason, message: err.message });
    progress.tick(reused);
    return undefined;
  };

  const viewCountOf = (hash: string) => viewCountFor(hash, opts.augment);

  // An unchanged file with everything it yields already made: nothing to read, decode or write.
  const recall = async (entry: SourceEntry): Promise<InProgress | undefined> => {
    const image = await recallUnchanged(entry, {
      known: opts.known,
      cache,
      media: writer,
      augment: opts.augment,
      keepMetadata,
    });
    return image && { ...image, viewCount: viewCountOf(image.hash), reused: true };
  };

  // Its child process starts with the first drawing (SVG, PDF) and ends with the pipeline.
  const vectors = new VectorRenderer(VECTOR_RENDER_SECONDS);

  // Everything that does not need the model. Bad images are skipped; failures to write the data
  // dir (or the work prefix) are not the image's fault and fail the build.
  const prepare = async (entry: SourceEntry): Promise<InProgress | undefined> => {
    const recalled = await recall(entry);
    if (recalled !== undefined) return recalled;
    const skippedBefore = opts.knownSkip?.(entry);
    if (skippedBefore !== undefined)
      return skip(entry, new ImageDecodeError(skippedBefore.reason, skippedBefore.message), true);
    let bytes: Uint8Array;
    result.reads++;
    try {
      const unfit = await unfitToRead(entry.size, () => source.readHead(entry, SIGNATURE_BYTES), maxPixels);
      if (unfit !== undefined) return skip(entry, unfit);
      bytes = await source.read(entry);
    } catch (err) {
      result.readFailures.push({
        key: entry.key,
        message: (err as Error).message,
        sourceChanged: err instanceof SourceChangedError,
      });
      return skip(
        entry,
        new ImageDecodeError('read-failed', `${(err as Error).message} (the next build tries it again)`),
      );
    }
    const hash = contentHash(bytes);
    const embedding = cache.get(hash);
    const viewCount = viewCountOf(hash);
    const views = cachedViews(cache, hash, viewCount);
    const thumbName = thumbnailName(hash);
    const needThumb = !(await writer.has(thumbName));
    let info: ImageInfo;
    let decoded: DecodedImage | undefined;
    let thumb: Buffer | undefined;
    let original: SafeOriginal;
    try {
      if (bytes.length === 0) throw new ImageDecodeError('empty', 'file is empty (0 bytes)');
      info = await readImageInfo(bytes, maxPixels);
      // Never active content (SVG, documents): index-builder/safeOriginal.ts.
      original = await safeOriginal(bytes, info, hash, maxPixels, vectors, keepMetadata);
      // A drawing is drawn once, out of this process, and its rendering is what the model sees.
      const pixelSource = isVector(info) ? original.bytes : bytes;
      // Decoding fully both validates the pixels and feeds the model; cached images skip it.
      if (embedding === undefined || views === undefined) decoded = await decodeImage(pixelSource, maxPixels);
      // Either way the thumbnail is drawn from decodeImage's pixels (decodeImage.ts makeThumbnail), so
      // its bytes do not depend on whether the embedding was cached.
      if (needThumb)
        thumb = decoded
          ? await makeThumbnailFromPixels(decoded.image)
          : await makeThumbnail(pixelSource, maxPixels);
    } catch (err) {
      if (err instanceof ImageDecodeError) return skip(entry, err);
      throw err;
    }
    const { ext } = original;
    if (thumb !== undefined && (await writer.putContentAddressed(thumbName, thumb, false))) {
      result.thumbnailsWritten++;
    }
    const originalPath = storedOriginalName(hash, ext, keepMetadata);
    if (await writer.putContentAddressed(originalPath, original.bytes, false)) {
      result.originalsWritten++;
    }
    // The catalog gives the original's size; the decoded pixels may be shrunk.
    return {
      entry,
      hash,
      width: info.width,
      height: info.height,
      ext,
      embedding,
      pixels: decoded?.image,
      viewCount,
      views: viewCount > 0 ? views : undefined,
      ...(decoded === undefined ? { reused: true as const } : {}),
    };
  };

  // Started on first use: a build with everything cached never loads the model.
  let runner: Promise<OnnxModelRunner> | undefined;
  const loadRunner = async (): Promise<OnnxModelRunner> => {
    const t = performance.now();
    const r = await (opts.sharedRunner?.() ?? createWorkerModelRunner(model.onnxPath, spec, opts.threads));
    result.modelLoadMs = performance.now() - t;
    return r;
  };

  const embed = async (batch: InProgress[]): Promise<void> => {
    if (!batch.some((u) => u.pixels !== undefined)) return;
    runner ??= loadRunner();
    const r = await runner;
    await embedOriginals(
      r,
      batch.filter((u) => u.embedding === undefined && u.pixels !== undefined),
    );
    await embedViews(r, batch);
    for (const u of batch) u.pixels = undefined;
    await cache.flush();
  };

  // Views of a batch's sampled images go through the model in batches of their own; an image whose
  // views fail still counts, it just teaches the transform nothing.
  const embedViews = async (r: OnnxModelRunner, batch: InProgress[]): Promise<void> => {
    const wanting = batch.filter(
      (u) => u.viewCount > 0 && u.views === undefined && u.embedding !== undefined && u.pixels !== undefined,
    );
    for (let i = 0; i < wanting.length;) {
      const group: InProgress[] = [];
      let images = 0;
      while (i < wanting.length && (group.length === 0 || images + wanting[i].viewCount <= opts.batchSize)) {
        images += wanting[i].viewCount;
        group.push(wanting[i++]);
      }
      try {
        const made = await Promise.all(
          group.map((u) => makeViews(u.pixels as RgbaImage, u.hash, u.viewCount)),
        );
        // Edits of the pixels flattened on white: a uniform margin there is the builder's own, and
        // framing it cost the emoji sets 0.005 recall@10 (docs/model.md#framing-the-subject).
        const rows = await featurize(r, spec, made.flat(), { uniformMargins: false });
        let at = 0;
        for (const u of group) {
          u.views = rows.slice(at, at + u.viewCount);
          u.views.forEach((row, v) => cache.set(viewCacheKey(u.hash, v), row));
          at += u.viewCount;
        }
      } catch {
        // Left without views.
      }
    }
  };

  const embedOriginals = async (r: OnnxModelRunner, waiting: InProgress[]): Promise<void> => {
    if (waiting.length === 0) return;
    let rows: (Float32Array | Error)[];
    try {
      rows = await featurize(
        r,
        spec,
        waiting.map((u) => u.pixels as RgbaImage),
      );
    } catch (batchError) {
      // One odd image must not sink its batch: retry one by one and skip only what still fails.
      rows = [];
      for (const u of waiting) {
        rows.push(
          await featurize(r, spec, [u.pixels as RgbaImage]).then(
            (out) => out[0],
            (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
          ),
        );
      }
      if (rows.every((row) => row instanceof Error)) throw batchError;
    }
    waiting.forEach((u, i) => {
      const row = rows[i];
      if (row instanceof Error) {
        u.pixels = undefined;
        result.skipped.push({ key: u.entry.key, reason: 'featurize-failed', message: row.message });
        progress.tick();
      } else {
        u.embedding = row;
        cache.set(u.hash, row);
        result.featurized++;
      }
    });
  };

  const collect = (batch: InProgress[]) => {
    for (const u of batch) {
      if (u.embedding === undefined) continue;
      const { entry, hash, width, height, ext, embedding, views } = u;
      result.images.push({ entry, hash, width, height, ext, embedding, ...(views ? { views } : {}) });
      progress.tick(u.reused);
    }
  };
  const awaitModel = async (inFlight: { batch: InProgress[]; done: Promise<void> }) => {
    const t = performance.now();
    await untilAborted(inFlight.done, opts.signal);
    result.modelWaitMs += performance.now() - t;
    collect(inFlight.batch);
  };

  const start = performance.now();
  progress.start(opts.entries.length);
  const limit = pLimit(4);
  const prepareChunk = (chunk: SourceEntry[]) => Promise.all(chunk.map((e) => limit(() => prepare(e))));
  const chunks: SourceEntry[][] = [];
  for (let i = 0; i < opts.entries.length; i += opts.batchSize) {
    chunks.push(opts.entries.slice(i, i + opts.batchSize));
  }
  try {
    let next = ahead(chunks.length > 0 ? prepareChunk(chunks[0]) : Promise.resolve([]));
    let inFlight: { batch: InProgress[]; done: Promise<void> } | undefined;
    for (let c = 0; c < chunks.length; c++) {
      const batch = (await untilAborted(next, opts.signal)).filter((u): u is InProgress => u !== undefined);
      if (c + 1 < chunks.length) next = ahead(prepareChunk(chunks[c + 1]));
      const done = ahead(embed(batch));
      if (inFlight !== undefined) await awaitModel(inFlight);
      inFlight = { batch, done };
    }
    if (inFlight !== undefined) await awaitModel(inFlight);
  } finally {
    vectors.close();
    progress.stop();
    // Settled either way, so that a shared runner still loading is handed over, not lost.
    const loaded = await runner?.catch(() => undefined);
    if (opts.sharedRunner === undefined) await loaded?.release();
  }
  result.processMs = performance.now() - start;
  return result;
}
