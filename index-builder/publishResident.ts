import { decodeIndex } from '../core/indexFormat';
import { publishDataDir } from '../storage/publishDataDir';
import { assembleIndex } from './assembleIndex';
import { buildDuplicates } from './buildDuplicates';
import { contentHash } from './contentAddress';
import { pairStateKey } from './duplicatePairsFile';
import type { NeighbourBlendOptions } from './neighbourBlend';
import { neighbourLists } from './neighbourLists';
import type { PublishBuildOptions, PublishedBuild } from './publishBuild';
import {
  catalogItems,
  mediaOf,
  resolveTransform,
  transformBytes,
  viewProjections,
  viewsLearnedFrom,
} from './publishParts';
import { blendOptions, transformInputs } from './publishSettings';
import { buildResidentCatalog, catalogBytes } from './shardedCatalog';
import { measureCalibration } from './similarityCalibration';
import { sharedLabels, sourced } from './imageLabels';

/**
 * The resident layout: index v1, the sharded catalog (with a positions file: index v1 orders rows by
 * LSH bucket, the catalog by album) and every image's neighbour list by catalog position
 * (docs/index-format.md).
 */
export async function publishResident(o: PublishBuildOptions): Promise<PublishedBuild> {
  const { writer, images, meta, spec, modelBytes } = o;
  const assembleStart = performance.now();
  const transform = transformInputs(o, images, meta, spec.output.colourBlock, o.stylePairs);
  const { fitted, fit, projections, sourcePairs } = await resolveTransform(o, transform);
  const { bytes: indexBytes, order } = await assembleIndex(
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
  const catalog = buildResidentCatalog(
    catalogItems(images, meta, o.keepMetadata === true),
    rowOfImage,
    o.shardSize,
  );
  const { positionOfRow, positionItems } = catalog;
  const imageAt = new Uint32Array(index.count);
  order.forEach((i, row) => (imageAt[positionOfRow[row]] = i));
  const rowVectors = new Int8Array(index.count * index.dims);
  const positionVectors = new Int8Array(index.count * index.dims);
  for (let row = 0; row < index.count; row++) {
    rowVectors.set(index.vector(row), row * index.dims);
    positionVectors.set(index.vector(row), positionOfRow[row] * index.dims);
  }
  const duplicates = buildDuplicates({
    vectors: rowVectors,
    dims: index.dims,
    positionOf: (row) => positionOfRow[row],
    itemAt: (position) => positionItems[position],
    calibration,
    sharded: false,
    reuse: {
      hashes: order.map((i) => images[i].hash),
      key: pairStateKey(projections.key, blendOptions(o)),
      previous: o.previousPairs,
    },
  });
  // By catalog position, as the lists are read: an item's position comes with it from its catalog shard.
  const neighbours = await neighbourLists(
    {
      vectors: positionVectors,
      dims: index.dims,
      ids: positionItems.map((it) => it.id),
      hashes: Array.from(imageAt, (i) => images[i].hash),
    },
    // A blend moves rows with their neighbours: then no row is known to be as it was.
    blendOptions(o) === undefined && o.previousLists?.key.equals(listsKey(projections.key, undefined))
      ? o.previousLists.state
      : undefined,
  );
  const assembleMs = performance.now() - assembleStart;

  const writeStart = performance.now();
  // The last moment a stop leaves the published build as it was.
  o.signal?.throwIfAborted();
  const { manifestBytes, filesDeleted } = await publishDataDir(writer, {
    layout: 'resident',
    createdAt: o.startedAt,
    count: index.count,
    model: { spec, bytes: modelBytes },
    index: indexBytes,
    catalog: catalog.indexBytes,
    catalogShards: catalog.files,
    calibration,
    duplicates,
    neighbours,
    media: mediaOf(positionItems),
  });
  return {
    fit,
    projections,
    pairState: duplicates.pairState,
    savedLists: { key: listsKey(projections.key, blendOptions(o)), state: neighbours.state },
    manifestBytes,
    count: index.count,
    dims: index.dims,
    bits: index.bits,
    bytes: {
      index: indexBytes.length,
      catalog: catalogBytes(catalog),
      model: modelBytes.length,
      transform: transformBytes(index.transform),
    },
    filesDeleted,
    views: viewsLearnedFrom(images),
    labelled: sharedLabels(transform.labels),
    sourced: sourced(transform.sources, sourcePairs),
    duplicates: duplicates.report,
    assembleMs,
    assembleParts: {
      indexMs,
      calibrationMs,
      duplicatesMs: duplicates.report.ms,
      neighboursMs: neighbours.ms,
      neighboursScanned: neighbours.scanned,
    },
    writeMs: performance.now() - writeStart,
  };
}

/** What a build's rows are for its neighbour lists: the projected vectors' key and the blend. */
function listsKey(projectionsKey: Buffer, blend: NeighbourBlendOptions | undefined): Buffer {
  const recipe = `neighbour-lists-1;blend=${JSON.stringify(blend ?? null)}`;
  return Buffer.from(contentHash(Buffer.concat([projectionsKey, Buffer.from(recipe, 'utf8')])), 'hex');
}
