import { decodeCellIndexHead } from '../core/cellIndexFormat';
import { publishDataDir } from '../storage/publishDataDir';
import { cellIndexRows, encodeCellRows } from './assembleCellIndex';
import { buildDuplicates } from './buildDuplicates';
import { pairStateKey } from './duplicatePairsFile';
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
import { buildShardedCatalog, catalogBytes } from './shardedCatalog';
import { measureCalibration } from './similarityCalibration';
import { sharedLabels, sourced } from './imageLabels';

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The sharded layout: index v4 + catalog index + item and id shards (docs/index-format.md). */
export async function publishSharded(o: PublishBuildOptions): Promise<PublishedBuild> {
  const { writer, images, meta, spec, modelBytes } = o;
  const assembleStart = performance.now();
  // Positions: albums sorted by name, listing order inside an album (a stable sort keeps it).
  const byPosition = images
    .map((_, i) => i)
    .sort((a, b) => byName(images[a].entry.album, images[b].entry.album));
  const positionOf = new Uint32Array(images.length);
  byPosition.forEach((i, p) => (positionOf[i] = p));
  const inputs = transformInputs(o, images, meta, spec.output.colourBlock, o.stylePairs);
  const { fitted, fit, projections, sourcePairs } = await resolveTransform(o, inputs);
  const { transform, rows, dims } = await cellIndexRows(
    images.map((u) => u.embedding),
    {
      dims: o.dims,
      blend: blendOptions(o),
      fitted,
      project: (i) => projections.of(images[i].hash, images[i].embedding),
    },
  );
  const rowOf = (i: number) => rows.subarray(i * dims, (i + 1) * dims);
  const rowsMs = performance.now() - assembleStart;
  const calibrationStart = performance.now();
  const calibration = measureCalibration({
    transform,
    count: images.length,
    vectorOf: rowOf,
    views: inputs.views ?? [],
    viewProjection: viewProjections(images, projections),
  });
  const calibrationMs = performance.now() - calibrationStart;
  const items = catalogItems(images, meta, o.keepMetadata === true);
  const positionItems = byPosition.map((i) => items[i]);
  // The duplicate pair scan clusters the rows into cells, or keeps the previous build's cells (new
  // rows to the nearest centroid) while the transform is kept: the index is laid out by those cells,
  // so a rebuild changes only the cells that gained or lost rows, and clusters once.
  const duplicates = buildDuplicates({
    vectors: rows,
    dims,
    positionOf: (i) => positionOf[i],
    itemAt: (position) => positionItems[position],
    calibration,
    sharded: true,
    reuse: {
      hashes: images.map((u) => u.hash),
      key: pairStateKey(projections.key, blendOptions(o), o.rowsPerCell),
      previous: o.previousPairs,
      rowsPerCell: o.rowsPerCell,
    },
  });
  const encodeStart = performance.now();
  const {
    bytes: indexBytes,
    order,
    vectors,
  } = await encodeCellRows(rows, dims, positionOf, duplicates.cells, spec.id, transform, positionItems);
  const head = decodeCellIndexHead(indexBytes);
  const rowOfPosition = new Uint32Array(images.length);
  order.forEach((i, row) => (rowOfPosition[positionOf[i]] = row));
  const catalog = buildShardedCatalog(
    positionItems,
    rowOfPosition,
    (row) => vectors.subarray(row * dims, (row + 1) * dims),
    o.shardSize,
  );
  // Clustering the cells counts in the duplicates' time: the pair scan does it.
  const indexMs = rowsMs + (performance.now() - encodeStart);
  const assembleMs = performance.now() - assembleStart;

  const writeStart = performance.now();
  // The last moment a stop leaves the published build as it was.
  o.signal?.throwIfAborted();
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
  return {
    fit,
    projections,
    manifestBytes,
    count: head.count,
    dims: head.dims,
    bits: 0,
    bytes: {
      index: indexBytes.length,
      catalog: catalogBytes(catalog),
      model: modelBytes.length,
      transform: transformBytes(transform),
    },
    filesDeleted,
    views: viewsLearnedFrom(images),
    labelled: sharedLabels(inputs.labels),
    sourced: sourced(inputs.sources, sourcePairs),
    duplicates: duplicates.report,
    pairState: duplicates.pairState,
    assembleMs,
    assembleParts: { indexMs, calibrationMs, duplicatesMs: duplicates.report.ms },
    writeMs: performance.now() - writeStart,
  };
}
