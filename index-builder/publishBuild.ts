import { catalogFromItems, type CatalogItem } from '../core/catalog';
import { decodeCellIndexHead } from '../core/cellIndexFormat';
import { decodeIndex } from '../core/indexFormat';
import type { ModelSpec } from '../core/modelSpec';
import type { DataDirWriter } from '../storage/dataDirWriter';
import { publishDataDir, type BuildToPublish } from '../storage/publishDataDir';
import { neighbourLists } from './neighbourLists';
import { assembleCellIndex } from './assembleCellIndex';
import { viewCacheKey } from './augmentedViews';
import { DEFAULT_DIMS, DEFAULT_SEED, assembleIndex } from './assembleIndex';
import { buildDuplicates, type DuplicatesReport } from './buildDuplicates';
import { pairStateKey, type PairState } from './duplicatePairsFile';
import { MIN_VIEWS, fitTransform, type TransformInputs } from './fitTransform';
import { hash16 } from './contentAddress';
import { itemIdFor } from './itemId';
import { checkNeighbourBlend, type NeighbourBlendOptions } from './neighbourBlend';
import type { ProcessedImage } from './imagePipeline';
import { freshProjections, type Projections } from './projectionCache';
import { buildShardedCatalog } from './shardedCatalog';
import { measureCalibration } from './similarityCalibration';
import { chooseTransform, type FitOutcome, type PreviousFit } from './transformFit';
import type { SourceMeta } from './sourceMeta';
import type { VectorTransform } from '../core/vectorTransform';

/** How the index is laid out: what every build passes to publishBuild and fingerprints. */
export interface PublishSettings {
  dims?: number;
  bits?: number;
  /** 'auto' shards collections above SHARDED_LAYOUT_MIN_IMAGES. */
  layout?: IndexLayout;
  /** Sharded layout only: rows per cell and items per catalog shard (small values for tests). */
  rowsPerCell?: number;
  shardSize?: number;
  /** Edited copies per sampled image for learning the transform (augmentedViews.ts); 0 turns it off. */
  views?: number;
  /** The transform's regularisers (fitTransform.ts). */
  whitenEpsilon?: number;
  invarianceRegulariser?: number;
  /**
   * Database-side augmentation (neighbourBlend.ts): each stored row becomes a similarity-weighted mean
   * of itself and this many nearest neighbours; 0 or absent = off. Queries by image are not blended.
   */
  blendNeighbours?: number;
  /** The neighbours' weight is max(0, cos)^blendAlpha (default DEFAULT_BLEND_ALPHA). */
  blendAlpha?: number;
}

/** Just the publish settings of a larger options object. */
export function publishSettings(o: PublishSettings): PublishSettings {
  return {
    dims: o.dims,
    bits: o.bits,
    layout: o.layout,
    rowsPerCell: o.rowsPerCell,
    shardSize: o.shardSize,
    views: o.views,
    whitenEpsilon: o.whitenEpsilon,
    invarianceRegulariser: o.invarianceRegulariser,
    blendNeighbours: o.blendNeighbours,
    blendAlpha: o.blendAlpha,
  };
}

/** The neighbour blend of a build, or undefined when off. */
export function blendOptions(o: PublishSettings): NeighbourBlendOptions | undefined {
  if (o.blendNeighbours === undefined || o.blendNeighbours === 0) {
    if (o.blendAlpha !== undefined) throw new Error('blendAlpha needs blendNeighbours');
    return undefined;
  }
  const blend = { neighbours: o.blendNeighbours, alpha: o.blendAlpha };
  checkNeighbourBlend(blend);
  return blend;
}

/** The fitTransform options of a build: its regularisers and the views its images carry. */
export function transformInputs(o: PublishSettings, images: ProcessedImage[]): TransformInputs {
  const views = images.flatMap((u, row) => (u.views ?? []).map((embedding) => ({ row, embedding })));
  return {
    whitenEpsilon: o.whitenEpsilon,
    invarianceRegulariser: o.invarianceRegulariser,
    views,
  };
}

function viewsLearnedFrom(images: ProcessedImage[]): number {
  const n = images.reduce((sum, u) => sum + (u.views?.length ?? 0), 0);
  return n >= MIN_VIEWS ? n : 0;
}

export interface PublishBuildOptions extends PublishSettings {
  writer: DataDirWriter;
  /** Featurized images in listing order; their thumbnails and originals are already in the writer. */
  images: ProcessedImage[];
  meta: SourceMeta;
  spec: ModelSpec;
  modelBytes: Uint8Array;
  startedAt: Date;
  /** The current build's transform and what it was fitted on (transformFit.ts), to keep if still valid. */
  previousFit?: PreviousFit;
  /** transformFit.ts's fitKeyFor these settings: what the projections written for the next build are for. */
  fitKey: string;
  /** The current build's duplicate pair scan (duplicatePairReuse.ts), to reuse where still valid. */
  previousPairs?: PairState;
  /** Fit a new transform even if the previous one is still valid. */
  refit?: boolean;
}

export type IndexLayout = 'resident' | 'sharded' | 'auto';

/**
 * Above this a resident index and catalog would be tens of MB before the first result; below it the
 * one-file layout is faster (one request, exact scan) and works on any static host.
 */
export const SHARDED_LAYOUT_MIN_IMAGES = 50_000;

export function resolveLayout(layout: IndexLayout | undefined, count: number): 'resident' | 'sharded' {
  if (layout === undefined || layout === 'auto')
    return count >= SHARDED_LAYOUT_MIN_IMAGES ? 'sharded' : 'resident';
  return layout;
}

export interface PublishedBuild {
  /** Whether the transform was kept from the previous build or fitted, and why. */
  fit: FitOutcome;
  /** The images' projections under the published transform, to keep for the next build. */
  projections: Projections;
  /** A resident build's duplicate pair scan, to keep for the next build. */
  pairState?: PairState;
  manifestBytes: Uint8Array;
  count: number;
  dims: number;
  bits: number;
  bytes: { index: number; catalog: number; model: number };
  filesDeleted: number;
  /** Edited copies the transform learned from; 0 when there were too few (fitTransform's MIN_VIEWS). */
  views: number;
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
}

/**
 * The second half of every build, whoever featurized the images: fits and writes the index, catalog
 * and model, then the manifest last (what makes the build visible), then removes files no longer
 * referenced. Same images in, same bytes out.
 */
export async function publishBuild(o: PublishBuildOptions): Promise<PublishedBuild> {
  if (resolveLayout(o.layout, o.images.length) === 'sharded') return publishSharded(o);
  const { writer, images, meta, spec, modelBytes } = o;
  const assembleStart = performance.now();
  const transform = transformInputs(o, images);
  const { fitted, fit, projections } = resolveTransform(o, transform);
  const { bytes: indexBytes, order } = assembleIndex(
    images.map((u) => u.embedding),
    {
      modelId: spec.id,
      dims: o.dims,
      bits: o.bits,
      blend: blendOptions(o),
      fitted,
      project: (i) => projections.of(images[i].hash, images[i].embedding),
    },
  );
  // Never publish an index the site could not load.
  const index = decodeIndex(indexBytes);
  if (index.count !== images.length) {
    throw new Error(`assembled index has ${index.count} rows, expected ${images.length}`);
  }
  const rowOfImage = new Uint32Array(images.length);
  order.forEach((i, row) => (rowOfImage[i] = row));
  const indexMs = performance.now() - assembleStart;
  const calibrationStart = performance.now();
  const calibration = measureCalibration({
    transform: index.transform,
    count: index.count,
    vectorOf: (i) => index.vector(rowOfImage[i]),
    views: transform.views ?? [],
    viewProjection: viewProjections(images, projections),
  });
  const calibrationMs = performance.now() - calibrationStart;
  const items: CatalogItem[] = order.map((i) => catalogItem(images[i], meta));
  const catalogBytes = Buffer.from(JSON.stringify(catalogFromItems(items)), 'utf8');
  const rowVectors = new Int8Array(index.count * index.dims);
  for (let row = 0; row < index.count; row++) rowVectors.set(index.vector(row), row * index.dims);
  const duplicates = buildDuplicates({
    vectors: rowVectors,
    dims: index.dims,
    positionOf: (row) => row,
    itemAt: (position) => items[position],
    calibration,
    sharded: false,
    reuse: {
      hashes: order.map((i) => images[i].hash),
      key: pairStateKey(projections.key, blendOptions(o)),
      previous: o.previousPairs,
    },
  });
  const neighbours = neighbourLists(index);
  const assembleMs = performance.now() - assembleStart;

  const writeStart = performance.now();
  const { manifestBytes, filesDeleted } = await publishDataDir(writer, {
    layout: 'resident',
    createdAt: o.startedAt,
    count: index.count,
    model: { spec, bytes: modelBytes },
    index: indexBytes,
    catalog: catalogBytes,
    calibration,
    duplicates,
    neighbours,
    media: mediaOf(items),
  });
  return {
    fit,
    projections,
    pairState: duplicates.pairState,
    manifestBytes,
    count: index.count,
    dims: index.dims,
    bits: index.bits,
    bytes: { index: indexBytes.length, catalog: catalogBytes.length, model: modelBytes.length },
    filesDeleted,
    views: viewsLearnedFrom(images),
    duplicates: duplicates.report,
    assembleMs,
    assembleParts: {
      indexMs,
      calibrationMs,
      duplicatesMs: duplicates.report.ms,
      neighboursMs: neighbours.ms,
    },
    writeMs: performance.now() - writeStart,
  };
}

/**
 * The transform to build with: the previous one while the collection has not moved it, else one fitted
 * here; and the images' projections under it, the previous build's where the transform was kept.
 */
function resolveTransform(
  o: PublishBuildOptions,
  inputs: TransformInputs,
): { fitted: VectorTransform; fit: FitOutcome; projections: Projections } {
  const { keep, outcome: fit } = chooseTransform(o.previousFit, o.images, o.refit === true);
  if (keep !== undefined && o.previousFit?.projections !== undefined) {
    return { fitted: keep, fit, projections: o.previousFit.projections };
  }
  const fitted =
    keep ??
    fitTransform(
      o.images.map((u) => u.embedding),
      { ...inputs, dims: o.dims ?? DEFAULT_DIMS, seed: DEFAULT_SEED },
    );
  return { fitted, fit, projections: freshProjections(o.fitKey, fitted) };
}

/**
 * The projections of the images' edited copies, in transformInputs' order, kept with the images'
 * under the views' cache keys.
 */
function viewProjections(images: ProcessedImage[], projections: Projections): (i: number) => Float64Array {
  const keys = images.flatMap((u) => (u.views ?? []).map((_, v) => viewCacheKey(u.hash, v)));
  const embeddings = images.flatMap((u) => u.views ?? []);
  return (i) => projections.of(keys[i], embeddings[i]);
}

function catalogItem(u: ProcessedImage, meta: SourceMeta): CatalogItem {
  const item: CatalogItem = {
    id: itemIdFor(u.entry.key),
    album: u.entry.album,
    name: u.entry.path,
    thumb: `thumbs/${hash16(u.hash)}.webp`,
    original: `originals/${hash16(u.hash)}.${u.ext}`,
    width: u.width,
    height: u.height,
    bytes: u.entry.size,
  };
  const m = meta.get(u.entry.key);
  if (m !== undefined) item.meta = m;
  return item;
}

/** The thumbnails and originals of a catalog's items: what the data dir must keep for it. */
function mediaOf(items: CatalogItem[]): BuildToPublish['media'] {
  return items.flatMap((it) => [it.thumb, it.original]);
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The sharded layout: index v2 + catalog index + item and id shards (docs/index-format.md). */
async function publishSharded(o: PublishBuildOptions): Promise<PublishedBuild> {
  const { writer, images, meta, spec, modelBytes } = o;
  const assembleStart = performance.now();
  // Positions: albums sorted by name, listing order inside an album (a stable sort keeps it).
  const byPosition = images
    .map((_, i) => i)
    .sort((a, b) => byName(images[a].entry.album, images[b].entry.album));
  const positionOf = new Uint32Array(images.length);
  byPosition.forEach((i, p) => (positionOf[i] = p));
  const inputs = transformInputs(o, images);
  const { fitted, fit, projections } = resolveTransform(o, inputs);
  const {
    bytes: indexBytes,
    order,
    vectors,
    dims,
    transform,
  } = assembleCellIndex(
    images.map((u) => u.embedding),
    positionOf,
    {
      modelId: spec.id,
      dims: o.dims,
      rowsPerCell: o.rowsPerCell,
      blend: blendOptions(o),
      fitted,
      project: (i) => projections.of(images[i].hash, images[i].embedding),
    },
  );
  const head = decodeCellIndexHead(indexBytes);
  const rowOfPosition = new Uint32Array(images.length);
  order.forEach((i, row) => (rowOfPosition[positionOf[i]] = row));
  const rowOfImage = new Uint32Array(images.length);
  order.forEach((i, row) => (rowOfImage[i] = row));
  const indexMs = performance.now() - assembleStart;
  const calibrationStart = performance.now();
  const calibration = measureCalibration({
    transform,
    count: head.count,
    vectorOf: (i) => vectors.subarray(rowOfImage[i] * dims, (rowOfImage[i] + 1) * dims),
    views: inputs.views ?? [],
    viewProjection: viewProjections(images, projections),
  });
  const calibrationMs = performance.now() - calibrationStart;
  const positionItems = byPosition.map((i) => catalogItem(images[i], meta));
  const catalog = buildShardedCatalog(
    positionItems,
    rowOfPosition,
    (row) => vectors.subarray(row * dims, (row + 1) * dims),
    o.shardSize,
  );
  const duplicates = buildDuplicates({
    vectors,
    dims,
    cells: head,
    positionOf: (row) => positionOf[order[row]],
    itemAt: (position) => positionItems[position],
    calibration,
    sharded: true,
  });
  const assembleMs = performance.now() - assembleStart;

  const writeStart = performance.now();
  const { manifestBytes, filesDeleted } = await publishDataDir(writer, {
    layout: 'sharded',
    createdAt: o.startedAt,
    count: images.length,
    model: { spec, bytes: modelBytes },
    index: indexBytes,
    catalog: catalog.indexBytes,
    catalogShards: catalog.files,
    calibration,
    duplicates,
    media: mediaOf(positionItems),
  });
  let catalogBytes = catalog.indexBytes.length;
  for (const b of catalog.files.values()) catalogBytes += b.length;
  return {
    fit,
    projections,
    manifestBytes,
    count: head.count,
    dims: head.dims,
    bits: 0,
    bytes: { index: indexBytes.length, catalog: catalogBytes, model: modelBytes.length },
    filesDeleted,
    views: viewsLearnedFrom(images),
    duplicates: duplicates.report,
    assembleMs,
    assembleParts: { indexMs, calibrationMs, duplicatesMs: duplicates.report.ms },
    writeMs: performance.now() - writeStart,
  };
}
