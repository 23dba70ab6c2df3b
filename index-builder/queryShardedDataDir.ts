import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { featurize } from '../core/featurize';
import type { SimilarityCalibration } from '../core/calibration';
import type { ImageRegion } from '../core/imageRegion';
import { isShardedManifest, parseManifest } from '../core/manifest';
import type { ModelSpec } from '../core/modelSpec';
import { ShardedCollection, type ShardedSearch } from '../core/shardedCollection';
import { compactVector } from '../core/vectorTransform';
import { fileDataSource } from '../storage/fileDataSource';
import type { OnnxModelRunner } from './onnxModelRunner';
import type { QueryOutcome, QueryResult } from './queryResidentDataDir';
import { readQueryImage } from './queryImage';

/** A sharded data dir opened for queries: the same reader (and so the same results) as the site's. */
export interface ShardedDataDir {
  collection: ShardedCollection;
  model: { spec: ModelSpec; onnxPath: string };
  calibration: SimilarityCalibration | null;
}

/** The sharded data dir in `dir`, or undefined when it holds a resident build. */
export async function openShardedDataDir(dir: string): Promise<ShardedDataDir | undefined> {
  const manifest = parseManifest(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  if (!isShardedManifest(manifest)) return undefined;
  return {
    collection: await ShardedCollection.open(manifest, fileDataSource(dir)),
    model: { spec: manifest.model.spec, onnxPath: join(dir, manifest.model.file.path) },
    calibration: manifest.calibration ?? null,
  };
}

function describe(found: ShardedSearch): QueryResult[] {
  return found.hits.map((h) => ({ id: h.item.id, album: h.item.album, name: h.item.name, score: h.score }));
}

export async function queryShardedById(data: ShardedDataDir, id: string, k: number): Promise<QueryOutcome> {
  const item = await data.collection.itemById(id);
  if (item === undefined) return { id, error: `no item with id '${id}' in the index` };
  return { id, results: describe(await data.collection.searchByItem(item, k)) };
}

export async function queryShardedByImage(
  data: ShardedDataDir,
  runner: OnnxModelRunner,
  path: string,
  k: number,
  region?: ImageRegion,
): Promise<QueryOutcome> {
  try {
    const image = await readQueryImage(path, region);
    const [embedding] = await featurize(runner, data.model.spec, [image]);
    const vector = compactVector(await data.collection.transform(), embedding);
    return { query: path, results: describe(await data.collection.searchByVector(vector, k)) };
  } catch (err) {
    return { query: path, error: err instanceof Error ? err.message : String(err) };
  }
}
