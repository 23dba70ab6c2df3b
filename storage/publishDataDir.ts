import type { SimilarityCalibration } from '../core/calibration';
import { decodeCellIndexHead } from '../core/cellIndexFormat';
import type { DuplicatesSummary } from '../core/duplicatesFormat';
import {
  MANIFEST_FORMAT,
  WHOLE_CATALOG_MANIFEST_VERSION,
  RESIDENT_MANIFEST_VERSION,
  SHARDED_MANIFEST_VERSION,
  contentAddressedName,
  fileRefFor,
  parseManifest,
  type FileRef,
  type Manifest,
} from '../core/manifest';
import type { ModelSpec } from '../core/modelSpec';
import type { NeighboursField } from '../core/neighbourListsFormat';
import type { DataDirWriter } from './dataDirWriter';

/** A build's bytes, assembled by whoever built it (the builder, the distributed coordinator, bench fixtures). */
export interface BuildToPublish {
  /**
   * Resident: index v1 and a catalog index over `catalogShards` (manifest v3), or without shards one whole
   * catalog as builders before the sharded catalog wrote it (manifest v1). Sharded: index v4 and a
   * catalog index over `catalogShards`.
   */
  layout: 'resident' | 'sharded';
  createdAt: Date;
  /** Images in the index and the catalog. */
  count: number;
  model: { spec: ModelSpec; bytes: Uint8Array };
  index: Uint8Array;
  catalog: Uint8Array;
  /** The catalog's shards, by data-dir path (all under one content-addressed folder). */
  catalogShards?: Iterable<[string, Uint8Array]>;
  /** What scores mean in this collection; null or absent when too few edited copies measured it. */
  calibration?: SimilarityCalibration | null;
  /** The near-duplicate groups file first, then its shards, by data-dir path, and the manifest's field. */
  duplicates?: {
    files: Iterable<[string, Uint8Array]>;
    manifestField: DuplicatesSummary & { file: FileRef };
  };
  /** Resident: every image's neighbour list, its shards by data-dir path and the manifest's field. */
  neighbours?: {
    files: Iterable<[string, Uint8Array]>;
    manifestField: NeighboursField;
  };
  /** Thumbnails and originals the catalog names, already in the writer's data dir. */
  media: Iterable<string>;
}

export interface PublishedDataDir {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  /** Files of earlier builds the garbage collection deleted. */
  filesDeleted: number;
}

/**
 * The one way a build becomes visible: writes its files under content-addressed names, then the
 * manifest (the switch), then deletes what neither this build nor the previous one references
 * (DataDirWriter.collectGarbage). Checks the manifest first: a data dir never gets one the site
 * would refuse.
 */
export async function publishDataDir(writer: DataDirWriter, b: BuildToPublish): Promise<PublishedDataDir> {
  const sharded = b.layout === 'sharded';
  if (sharded && b.neighbours) throw new Error('neighbour lists are part of resident builds only');
  let headBytes = 0;
  if (sharded) {
    const head = decodeCellIndexHead(b.index);
    if (head.count !== b.count) throw new Error(`the index has ${head.count} rows, the catalog ${b.count}`);
    headBytes = head.headBytes;
  }
  const indexName = contentAddressedName('index', 'bin', b.index);
  const catalogName = contentAddressedName('catalog', 'json', b.catalog);
  const modelName = contentAddressedName('model', 'onnx', b.model.bytes);
  const files: [string, Uint8Array][] = [
    ...(b.catalogShards ?? []),
    ...(b.duplicates?.files ?? []),
    ...(b.neighbours?.files ?? []),
    [indexName, b.index],
    [catalogName, b.catalog],
    [modelName, b.model.bytes],
  ];
  const { spec } = b.model;
  const common = {
    format: MANIFEST_FORMAT,
    createdAt: b.createdAt.toISOString(),
    count: b.count,
    // The spec's file names the model next to the manifest, as it would next to a spec file.
    model: { id: spec.id, spec: { ...spec, file: modelName }, file: fileRefFor(modelName, b.model.bytes) },
  } as const;
  const optional = {
    ...(b.calibration ? { calibration: b.calibration } : {}),
    ...(b.duplicates ? { duplicates: b.duplicates.manifestField } : {}),
  };
  const manifest: Manifest = sharded
    ? {
        ...common,
        version: SHARDED_MANIFEST_VERSION,
        layout: 'sharded',
        index: { ...fileRefFor(indexName, b.index), headBytes },
        catalog: fileRefFor(catalogName, b.catalog),
        ...optional,
      }
    : {
        ...common,
        version: b.catalogShards === undefined ? WHOLE_CATALOG_MANIFEST_VERSION : RESIDENT_MANIFEST_VERSION,
        index: fileRefFor(indexName, b.index),
        catalog: fileRefFor(catalogName, b.catalog),
        ...optional,
        ...(b.neighbours ? { neighbours: b.neighbours.manifestField } : {}),
      };
  parseManifest(manifest);

  // Files in folders are shards, thousands of them: not fsynced (a kill cannot tear them, only a power cut).
  for (const [path, bytes] of files) await writer.putContentAddressed(path, bytes, !path.includes('/'));
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  await writer.putManifest(manifestBytes);
  // A shard folder is referenced by its name: the collection keeps or deletes it whole.
  const referenced = new Set([...files.map(([path]) => path.split('/')[0]), ...b.media]);
  const filesDeleted = await writer.collectGarbage(referenced);
  return { manifest, manifestBytes, filesDeleted };
}
