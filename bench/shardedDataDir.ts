import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { CatalogItem } from '../core/catalog';
import { decodeCellIndexHead } from '../core/cellIndexFormat';
import { mulberry32 } from '../core/lsh';
import { contentAddressedName, fileRefFor, type ShardedManifest } from '../core/manifest';
import type { ModelSpec } from '../core/modelSpec';
import { assembleCellIndex } from '../index-builder/assembleCellIndex';
import { buildShardedCatalog } from '../index-builder/shardedCatalog';
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

const STAMP = 'sharded-bench-v3';
const ALBUMS = 100;

/** Ids like the builder's (12 hex digits), spread evenly over the id shards. */
function syntheticId(i: number): string {
  const next = mulberry32(i ^ 0x5bd1e995);
  return (next().toString(16).padStart(8, '0') + next().toString(16).padStart(8, '0')).slice(0, 12);
}

/**
 * Writes (or reuses) a sharded data dir of `count` synthetic images under `dir`: index v2, catalog
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
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ShardedManifest;
    return { dir, count, manifest, buildSeconds: 0, reused: true };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'thumbs'), { recursive: true });
  log(`  generating ${count} synthetic embeddings`);
  const embeddings = calibratedEmbeddings(count);
  const t = performance.now();
  const perAlbum = Math.ceil(count / ALBUMS);
  // Embedding i is image i; albums are consecutive runs, which is the catalog's position order.
  const positions = Uint32Array.from({ length: count }, (_, i) => i);
  log('  clustering into cells and encoding index v2');
  const { bytes, order, vectors, dims } = assembleCellIndex(embeddings, positions, {
    modelId: model.spec.id,
  });
  embeddings.length = 0;
  const rowOfPosition = new Uint32Array(count);
  order.forEach((i, row) => (rowOfPosition[i] = row));
  const thumbPath = 'thumbs/shared.webp';
  const items = Array.from({ length: count }, (_, i): CatalogItem => ({
    id: syntheticId(i),
    album: `Album ${String(Math.floor(i / perAlbum)).padStart(3, '0')}`,
    name: `image-${i}.jpg`,
    thumb: thumbPath,
    original: thumbPath,
    width: 1,
    height: 1,
  }));
  log('  writing catalog shards');
  const catalog = buildShardedCatalog(items, rowOfPosition, (row) =>
    vectors.subarray(row * dims, (row + 1) * dims),
  );
  const buildSeconds = (performance.now() - t) / 1000;
  const thumb = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#888' } })
    .webp()
    .toBuffer();
  writeFileSync(path.join(dir, thumbPath), thumb);
  for (const [p, b] of catalog.files) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), b);
  }
  const modelBytes = new Uint8Array(readFileSync(model.onnxPath));
  const indexPath = contentAddressedName('index', 'bin', bytes);
  const catalogPath = contentAddressedName('catalog', 'json', catalog.indexBytes);
  const modelPath = contentAddressedName('model', 'onnx', modelBytes);
  writeFileSync(path.join(dir, indexPath), bytes);
  writeFileSync(path.join(dir, catalogPath), catalog.indexBytes);
  copyFileSync(model.onnxPath, path.join(dir, modelPath));
  const manifest: ShardedManifest = {
    format: 'lookalike-manifest',
    version: 2,
    layout: 'sharded',
    createdAt: new Date().toISOString(),
    count,
    model: {
      id: model.spec.id,
      spec: { ...model.spec, file: modelPath },
      file: fileRefFor(modelPath, modelBytes),
    },
    index: { ...fileRefFor(indexPath, bytes), headBytes: decodeCellIndexHead(bytes).headBytes },
    catalog: fileRefFor(catalogPath, catalog.indexBytes),
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(stampFile, stamp);
  return { dir, count, manifest, buildSeconds, reused: false };
}
