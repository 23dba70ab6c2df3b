import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CatalogItem } from '../core/catalog';
import type { ModelSpec } from '../core/modelSpec';
import { decodeIndex } from '../core/indexFormat';
import { assembleIndex } from '../index-builder/assembleIndex';
import { neighbourLists } from '../index-builder/neighbourLists';
import { residentDims } from '../index-builder/publishSettings';
import { buildResidentCatalog } from '../index-builder/shardedCatalog';
import { SHARED_THUMB, publishFixture } from './publishFixture';

/** The flat float32 embedding file written next to the index: what a client-side exact scan downloads. */
export const FLAT_EMBEDDINGS_FILE = 'embeddings.f32';

interface WrittenDataDir {
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
  /** Building every image's neighbour list (index-builder/neighbourLists.ts). */
  neighboursMs: number;
  neighboursBytes: number;
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

  const flat = new Float32Array(count * dim);
  embeddings.forEach((e, i) => flat.set(e, i * dim));
  const t = performance.now();
  // The dims a build of this many images gets (256 int4 from 6,144 images).
  const { bytes: indexBytes, order } = await assembleIndex(embeddings, {
    modelId: model.spec.id,
    dims: residentDims(count),
  });
  const assembleMs = performance.now() - t;

  // Items in embedding order; index row r holds embedding order[r].
  const rowOfItem = new Uint32Array(count);
  order.forEach((item, row) => (rowOfItem[item] = row));
  const sourceItems = embeddings.map((_, i): CatalogItem => ({
    id: scatteredHexId(i),
    album: `Album ${i % 10}`,
    name: `Image ${i}`,
    thumb: SHARED_THUMB,
    original: SHARED_THUMB,
    width: 1,
    height: 1,
  }));
  // As the builder publishes a resident build: the sharded catalog, every image's neighbour list by
  // catalog position.
  const catalog = buildResidentCatalog(sourceItems, rowOfItem);
  const index = decodeIndex(indexBytes);
  const vectors = new Int8Array(count * index.dims);
  for (let row = 0; row < count; row++)
    vectors.set(index.vector(row), catalog.positionOfRow[row] * index.dims);
  const positionIds = catalog.positionItems.map((it) => it.id);
  const neighbours = await neighbourLists({
    vectors,
    dims: index.dims,
    ids: positionIds,
    hashes: positionIds,
  });
  await publishFixture(
    dir,
    {
      layout: 'resident',
      count,
      index: indexBytes,
      catalog: catalog.indexBytes,
      catalogShards: catalog.files,
      neighbours,
    },
    model,
  );
  writeFileSync(path.join(dir, FLAT_EMBEDDINGS_FILE), new Uint8Array(flat.buffer));
  return {
    dir,
    count,
    dim,
    ids: Array.from(order, (item) => sourceItems[item].id),
    flatRowOf: Int32Array.from(order),
    indexBytes: indexBytes.length,
    flatBytes: flat.byteLength,
    assembleMs,
    neighboursMs: neighbours.ms,
    neighboursBytes: neighbours.files.reduce((n, [, bytes]) => n + bytes.length, 0),
  };
}

/**
 * A unique hex id for item i, spread over the id shards as the builder's content hashes are (the
 * catalog's id shards are by hex prefix): an odd multiplier is a bijection on 32 bits.
 */
function scatteredHexId(i: number): string {
  return (Math.imul(i, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0');
}
