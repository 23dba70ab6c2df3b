import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { BUILD_REPORT_FILE, parseBuildReport, type BuildReport } from './buildReport';
import { contentHash } from './contentAddress';
import { MANIFEST_FILE } from '../storage/dataDirNames';
import { readMediaSizes, storedMediaState } from '../storage/mediaSizes';
import type { SourceListing } from './imageSource';
import type { LoadedModel } from './loadModel';
import { checkNamePatterns } from './imageLabels';
import type { PublishSettings } from './publishSettings';
import { fileDataSource } from '../storage/fileDataSource';
import { readStylePairs, type StylePairs } from '../models/stylePairsFile';

/** Bump when the builder's output changes for the same input, so fingerprints of old builds stop matching. */
const BUILDER_FORMAT = 17;

interface FingerprintInputs {
  source: string;
  listing: SourceListing;
  modelId: string;
  /** SHA-256 of the model file: a retrained model with the same id still counts as a change. */
  modelSha256: string;
  options: Record<string, number | string | undefined>;
}

/**
 * Reads the model and fingerprints a build of `listing`: the one definition both the single-machine
 * and the distributed build use, so either finds the other's result up to date.
 */
export async function fingerprintBuild(i: {
  source: string;
  listing: SourceListing;
  model: LoadedModel;
  maxPixels: number;
  settings: PublishSettings;
}): Promise<{ fingerprint: string; modelBytes: Uint8Array; modelSha256: string; stylePairs?: StylePairs }> {
  const modelBytes = await readFile(i.model.onnxPath).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read model file ${i.model.onnxPath}: ${err.code ?? err.message}`);
  });
  const {
    dims,
    bits,
    layout,
    rowsPerCell,
    shardSize,
    views,
    whitenEpsilon,
    invarianceRegulariser,
    labelPattern,
    sourcePattern,
    blendNeighbours,
    blendAlpha,
    keepMetadata,
  } = i.settings;
  // A bad pattern fails here, before any image is read, not after featurizing at the fit.
  checkNamePatterns(
    i.listing.entries.map((e) => e.key),
    labelPattern,
    sourcePattern,
  );
  const modelSha256 = contentHash(modelBytes);
  const stylePairs = await modelStylePairs(i.model, modelSha256);
  const fingerprint = buildFingerprint({
    source: i.source,
    listing: i.listing,
    modelId: i.model.spec.id,
    modelSha256,
    options: {
      dims,
      bits,
      maxPixels: i.maxPixels,
      layout: layout ?? 'auto',
      rowsPerCell,
      shardSize,
      views,
      whitenEpsilon,
      invarianceRegulariser,
      // Only when on, so that fingerprints of builds without them stay as they were.
      ...(blendNeighbours ? { blendNeighbours, blendAlpha } : {}),
      ...(labelPattern !== undefined ? { labelPattern } : {}),
      ...(sourcePattern !== undefined ? { sourcePattern } : {}),
      ...(stylePairs !== undefined ? { stylePairs: stylePairs.sha256 } : {}),
      ...(keepMetadata === true ? { keepMetadata: 'yes' } : {}),
    },
  });
  return { fingerprint, modelBytes, modelSha256, ...(stylePairs !== undefined ? { stylePairs } : {}) };
}

/** The model's style pairs, checked to come from this very model file. */
async function modelStylePairs(model: LoadedModel, modelSha256: string): Promise<StylePairs | undefined> {
  if (model.stylePairsFile === undefined) return undefined;
  const pairs = await readStylePairs(model.stylePairsFile);
  if (pairs === undefined) return undefined;
  if (pairs.modelSha256 !== modelSha256 || pairs.dim !== model.spec.output.dim)
    throw new Error(
      `${model.stylePairsFile} was made from another model file than ${model.onnxPath}: delete it, or build the model again (npm run build-model)`,
    );
  return pairs;
}

/** Hash of everything a build depends on: names, sizes, versions (mtime/ETag), model and options. */
function buildFingerprint(inputs: FingerprintInputs): string {
  const { source, listing, modelId, modelSha256, options } = inputs;
  const text = JSON.stringify({
    builder: BUILDER_FORMAT,
    source,
    entries: listing.entries.map((e) => [e.key, e.size, e.version]),
    meta: listing.metaFile ?? null,
    // Only when there are any, so that fingerprints of clean listings stay as they were.
    ...(listing.skipped.length > 0 ? { left: listing.skipped.map((s) => [s.key, s.reason]) } : {}),
    model: [modelId, modelSha256],
    options,
  });
  return contentHash(Buffer.from(text, 'utf8'));
}

/**
 * The report of the build in `dataDir` if that build is complete and was made from exactly this
 * fingerprint (so rebuilding would change nothing); undefined otherwise. Reads no image: each
 * thumbnail and original is checked by its size (storage/mediaSizes.ts), so that one damaged since is
 * made again by a build rather than kept for ever.
 */
export async function findUpToDateBuild(
  dataDir: string,
  fingerprint: string,
): Promise<BuildReport | undefined> {
  const report = parseBuildReport(await readFile(join(dataDir, BUILD_REPORT_FILE), 'utf8').catch(() => ''));
  if (report === undefined || report.fingerprint !== fingerprint) return undefined;
  // A file whose read failed is in the same listing (the fingerprint does not see it): without a new
  // build it would stay out of the collection until something else changed.
  if (report.skipped.some((s) => s.reason === 'read-failed')) return undefined;
  try {
    const manifestBytes = await readFile(join(dataDir, MANIFEST_FILE));
    if (contentHash(manifestBytes) !== report.manifestSha256) return undefined;
    const manifest = parseManifest(JSON.parse(manifestBytes.toString('utf8')));
    for (const ref of [manifest.index, manifest.catalog, manifest.model.file]) {
      if ((await stat(join(dataDir, ref.path))).size !== ref.bytes) return undefined;
    }
    const items = await (await openCollection(manifest, fileDataSource(dataDir))).everyItem();
    const sizes = await readMediaSizes(dataDir);
    const intact = (name: string) =>
      typeof storedMediaState(join(dataDir, name), name, sizes.get(name)) === 'number';
    return items.every((it) => intact(it.thumb) && intact(it.original)) ? report : undefined;
  } catch {
    return undefined;
  }
}
