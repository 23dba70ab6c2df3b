import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { catalogFromItems, type CatalogItem } from '../core/catalog';
import { contentAddressedName, fileRefFor, type Manifest } from '../core/manifest';
import type { ModelSpec } from '../core/modelSpec';
import { assembleIndex } from '../index-builder/assembleIndex';

/** The flat float32 embedding file written next to the index: what a client-side exact scan downloads. */
export const FLAT_EMBEDDINGS_FILE = 'embeddings.f32';

export interface WrittenDataDir {
  dir: string;
  count: number;
  dim: number;
  /** Catalog ids in row order. */
  ids: string[];
  /** For each index row, the row of the same vector in the flat file (the index reorders by bucket). */
  flatRowOf: Int32Array;
  indexBytes: number;
  flatBytes: number;
  assembleMs: number;
}

/**
 * A real, loadable data dir over given embeddings: index v1 from assembleIndex, a catalog whose items
 * share one tiny thumbnail (album-image queries never fetch images), the model copied in (the manifest
 * must name one), and the embeddings as one flat float32 file for the exact-scan baseline.
 */
export async function writeDataDir(
  dir: string,
  embeddings: Float32Array[],
  model: { spec: ModelSpec; onnxPath: string },
): Promise<WrittenDataDir> {
  const count = embeddings.length;
  const dim = embeddings[0].length;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'thumbs'), { recursive: true });

  const flat = new Float32Array(count * dim);
  embeddings.forEach((e, i) => flat.set(e, i * dim));
  const t = performance.now();
  const { bytes: indexBytes, order } = assembleIndex(embeddings, { modelId: model.spec.id });
  const assembleMs = performance.now() - t;

  const thumb = new Uint8Array(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#888' } })
      .webp()
      .toBuffer(),
  );
  const thumbPath = 'thumbs/shared.webp';
  writeFileSync(path.join(dir, thumbPath), thumb);
  const items = order.map((position): CatalogItem => ({
    id: `s${position}`,
    album: `Album ${position % 10}`,
    name: `Image ${position}`,
    thumb: thumbPath,
    original: thumbPath,
    width: 1,
    height: 1,
  }));
  const catalogBytes = new TextEncoder().encode(JSON.stringify(catalogFromItems(items)));
  const modelBytes = new Uint8Array(readFileSync(model.onnxPath));
  const indexPath = contentAddressedName('index', 'bin', indexBytes);
  const catalogPath = contentAddressedName('catalog', 'json', catalogBytes);
  const modelPath = contentAddressedName('model', 'onnx', modelBytes);
  writeFileSync(path.join(dir, indexPath), indexBytes);
  writeFileSync(path.join(dir, catalogPath), catalogBytes);
  copyFileSync(model.onnxPath, path.join(dir, modelPath));
  writeFileSync(path.join(dir, FLAT_EMBEDDINGS_FILE), new Uint8Array(flat.buffer));
  const manifest: Manifest = {
    format: 'lookalike-manifest',
    version: 1,
    createdAt: new Date().toISOString(),
    count,
    model: { id: model.spec.id, spec: model.spec, file: fileRefFor(modelPath, modelBytes) },
    index: fileRefFor(indexPath, indexBytes),
    catalog: fileRefFor(catalogPath, catalogBytes),
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return {
    dir,
    count,
    dim,
    ids: items.map((it) => it.id),
    flatRowOf: Int32Array.from(order),
    indexBytes: indexBytes.length,
    flatBytes: flat.byteLength,
    assembleMs,
  };
}
