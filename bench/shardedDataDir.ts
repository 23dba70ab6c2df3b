import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CatalogItem } from '../core/catalog';
import { isShardedManifest, type ShardedManifest } from '../core/manifest';
import type { ModelSpec } from '../core/modelSpec';
import { mulberry32 } from '../core/prng';
import { assembleCellIndex } from '../index-builder/assembleCellIndex';
import { buildShardedCatalog } from '../index-builder/shardedCatalog';
import { MANIFEST_FILE } from '../storage/dataDirNames';
import { SHARED_THUMB, publishFixture } from './publishFixture';
import { syntheticEmbeddings } from '../testing/syntheticEmbeddings';

/**
 * The synthetic collection for the sharded path: clusters of ~50 images whose nearest-neighbour
 * similarity matches the real emoji demo (top-1 cosine ≈ 0.82 in the index space, vs 0.83 for the
 * emoji; spread 1.0, the resident benches' setting, gives 0.60 and is closer to random vectors than
 * to image features). 96-d inputs: the index stores 96-d int8 vectors whatever the model's width.
 */
export function calibratedEmbeddings(count: number): Float32Array[] {
  return syntheticEmbeddings({
    count,
    dim: 96,
    clusters: Math.max(2, Math.round(count / 50)),
    spread: 0.5,
    seed: count,
    decay: 1,
  }).embeddings;
}

export interface ShardedDataDir {
  dir: string;
  count: number;
  manifest: ShardedManifest;
  /** Seconds spent clustering and encoding (0 when reused from an earlier run). */
  buildSeconds: number;
  reused: boolean;
}

const STAMP = 'sharded-bench-v7';
const ALBUMS = 100;

/** Ids like the builder's (12 hex digits), spread evenly over the id shards. */
function syntheticId(i: number): string {
  const next = mulberry32(i ^ 0x5bd1e995);
  return (next().toString(16).padStart(8, '0') + next().toString(16).padStart(8, '0')).slice(0, 12);
}

/**
 * Writes (or reuses) a sharded data dir of `count` synthetic images under `dir`: index v4, catalog
 * index and shards, one shared thumbnail, and the model (a manifest must name one).
 */
export async function shardedDataDir(
  dir: string,
  count: number,
  model: { spec: ModelSpec; onnxPath: string },
  log: (m: string) => void,
): Promise<ShardedDataDir> {
  const stampFile = path.join(dir, 'bench-stamp.json');
  const stamp = JSON.stringify({ STAMP, count, model: model.spec.id });
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as ShardedManifest;
    return { dir, count, manifest, buildSeconds: 0, reused: true };
  }
  log(`  generating ${count} synthetic embeddings`);
  const embeddings = calibratedEmbeddings(count);
  const t = performance.now();
  const perAlbum = Math.ceil(count / ALBUMS);
  // Embedding i is image i; albums are consecutive runs, which is the catalog's position order.
  const positions = Uint32Array.from({ length: count }, (_, i) => i);
  // Items as varied as a photo collection's (the cells store them: their bytes count); every one
  // shows the one thumbnail written here, as a million thumbnails would take long to write.
  const items = Array.from({ length: count }, (_, i): CatalogItem => {
    const next = mulberry32(i);
    const id = syntheticId(i);
    return {
      id,
      album: `Album ${String(Math.floor(i / perAlbum)).padStart(3, '0')}`,
      name: `IMG_${String(next() % 100000).padStart(5, '0')}.jpg`,
      thumb: SHARED_THUMB,
      original: `originals/${id}${syntheticId(i + count).slice(0, 4)}.jpg`,
      width: 1024 + (next() % 3072),
      height: 768 + (next() % 2304),
      bytes: 200_000 + (next() % 4_000_000),
    };
  });
  log('  clustering into cells and encoding index v4');
  const { bytes, order, vectors, dims } = await assembleCellIndex(embeddings, positions, {
    modelId: model.spec.id,
    items,
  });
  embeddings.length = 0;
  const rowOfPosition = new Uint32Array(count);
  order.forEach((i, row) => (rowOfPosition[i] = row));
  log('  writing catalog shards');
  const catalog = buildShardedCatalog(items, rowOfPosition, (row) =>
    vectors.subarray(row * dims, (row + 1) * dims),
  );
  const buildSeconds = (performance.now() - t) / 1000;
  const { manifest } = await publishFixture(
    dir,
    { layout: 'sharded', count, index: bytes, catalog: catalog.indexBytes, catalogShards: catalog.files },
    model,
  );
  if (!isShardedManifest(manifest)) throw new Error('the sharded bench data dir has a resident manifest');
  writeFileSync(stampFile, stamp);
  return { dir, count, manifest, buildSeconds, reused: false };
}
