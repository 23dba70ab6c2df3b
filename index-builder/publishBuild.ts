import { catalogFromItems, type CatalogItem } from '../core/catalog';
import { decodeIndex } from '../core/indexFormat';
import {
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  contentAddressedName,
  fileRefFor,
  parseManifest,
  type Manifest,
} from '../core/manifest';
import type { ModelSpec } from '../core/modelSpec';
import { assembleIndex } from './assembleIndex';
import { hash16, itemIdFor } from './contentHash';
import type { DataDirWriter } from './dataDirWriter';
import type { ProcessedImage } from './imagePipeline';
import type { SourceMeta } from './sourceMeta';

export interface PublishBuildOptions {
  writer: DataDirWriter;
  /** Featurized images in listing order; their thumbnails and originals are already in the writer. */
  images: ProcessedImage[];
  meta: SourceMeta;
  spec: ModelSpec;
  modelBytes: Uint8Array;
  startedAt: Date;
  dims?: number;
  bits?: number;
}

export interface PublishedBuild {
  manifestBytes: Uint8Array;
  count: number;
  dims: number;
  bits: number;
  bytes: { index: number; catalog: number; model: number };
  filesDeleted: number;
  assembleMs: number;
  writeMs: number;
}

/**
 * The second half of every build, whoever featurized the images: fits and writes the index, catalog
 * and model, then the manifest last (what makes the build visible), then removes files no longer
 * referenced. Same images in, same bytes out.
 */
export async function publishBuild(o: PublishBuildOptions): Promise<PublishedBuild> {
  const { writer, images, meta, spec, modelBytes } = o;
  const assembleStart = performance.now();
  const { bytes: indexBytes, order } = assembleIndex(
    images.map((u) => u.embedding),
    { modelId: spec.id, dims: o.dims, bits: o.bits },
  );
  // Never publish an index the site could not load.
  const index = decodeIndex(indexBytes);
  if (index.count !== images.length) {
    throw new Error(`assembled index has ${index.count} rows, expected ${images.length}`);
  }
  const items: CatalogItem[] = order.map((i) => {
    const u = images[i];
    const item: CatalogItem = {
      id: itemIdFor(u.entry.key),
      album: u.entry.album,
      name: u.entry.path,
      thumb: `thumbs/${hash16(u.hash)}.webp`,
      original: `originals/${hash16(u.hash)}.${u.ext}`,
      width: u.width,
      height: u.height,
    };
    const m = meta.get(u.entry.key);
    if (m !== undefined) item.meta = m;
    return item;
  });
  const catalogBytes = Buffer.from(JSON.stringify(catalogFromItems(items)), 'utf8');
  const assembleMs = performance.now() - assembleStart;

  const writeStart = performance.now();
  const indexName = contentAddressedName('index', 'bin', indexBytes);
  const catalogName = contentAddressedName('catalog', 'json', catalogBytes);
  const modelName = contentAddressedName('model', 'onnx', modelBytes);
  await writer.putContentAddressed(indexName, indexBytes);
  await writer.putContentAddressed(catalogName, catalogBytes);
  await writer.putContentAddressed(modelName, modelBytes);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    createdAt: o.startedAt.toISOString(),
    count: index.count,
    model: { id: spec.id, spec: { ...spec, file: modelName }, file: fileRefFor(modelName, modelBytes) },
    index: fileRefFor(indexName, indexBytes),
    catalog: fileRefFor(catalogName, catalogBytes),
  };
  parseManifest(manifest);
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  await writer.putManifest(manifestBytes);
  const referenced = new Set<string>([indexName, catalogName, modelName]);
  for (const it of items) {
    referenced.add(it.thumb);
    referenced.add(it.original);
  }
  const filesDeleted = await writer.collectGarbage(referenced);
  return {
    manifestBytes,
    count: index.count,
    dims: index.dims,
    bits: index.bits,
    bytes: { index: indexBytes.length, catalog: catalogBytes.length, model: modelBytes.length },
    filesDeleted,
    assembleMs,
    writeMs: performance.now() - writeStart,
  };
}
