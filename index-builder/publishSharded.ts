import { decodeCellIndexHead } from '../core/cellIndexFormat';
import { publishDataDir } from '../storage/publishDataDir';
import { assembleCellIndex } from './assembleCellIndex';
import { buildDuplicates } from './buildDuplicates';
import type { PublishBuildOptions, PublishedBuild } from './publishBuild';
import { catalogItem, mediaOf, resolveTransform, viewProjections, viewsLearnedFrom } from './publishParts';
import { blendOptions, transformInputs } from './publishSettings';
import { buildShardedCatalog, catalogBytes } from './shardedCatalog';
import { measureCalibration } from './similarityCalibration';

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The sharded layout: index v2 + catalog index + item and id shards (docs/index-format.md). */
export async function publishSharded(o: PublishBuildOptions): Promise<PublishedBuild> {
  const { writer, images, meta, spec, modelBytes } = o;
  const assembleStart = performance.now();
  // Positions: albums sorted by name, listing order inside an album (a stable sort keeps it).
  const byPosition = images
    .map((_, i) => i)
    .sort((a, b) => byName(images[a].entry.album, images[b].entry.album));
  const positionOf = new Uint32Array(images.length);
  byPosition.forEach((i, p) => (positionOf[i] = p));
  const inputs = transformInputs(o, images);
  const { fitted, fit, projections } = await resolveTransform(o, inputs);
  const {
    bytes: indexBytes,
    order,
    vectors,
    dims,
    transform,
  } = await assembleCellIndex(
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
  return {
    fit,
    projections,
    manifestBytes,
    count: head.count,
    dims: head.dims,
    bits: 0,
    bytes: { index: indexBytes.length, catalog: catalogBytes(catalog), model: modelBytes.length },
    filesDeleted,
    views: viewsLearnedFrom(images),
    duplicates: duplicates.report,
    assembleMs,
    assembleParts: { indexMs, calibrationMs, duplicatesMs: duplicates.report.ms },
    writeMs: performance.now() - writeStart,
  };
}
