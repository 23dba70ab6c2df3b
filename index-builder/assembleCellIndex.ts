import type { VectorTransform } from '../core/vectorTransform';
import { encodeCellIndex } from '../core/cellIndexFormat';
import { DEFAULT_DIMS, DEFAULT_SEED, storedVectors } from './assembleIndex';
import { clusterCells, type CellClusteringOptions } from './cellClustering';
import { fitTransform, type TransformInputs } from './fitTransform';
import type { NeighbourBlendOptions } from './neighbourBlend';

export interface AssembleCellIndexOptions extends CellClusteringOptions {
  modelId: string;
  dims?: number;
  transform?: TransformInputs;
  /** Blend each stored row with its nearest neighbours (neighbourBlend.ts); off when absent. */
  blend?: NeighbourBlendOptions;
  /** A transform to keep instead of fitting one (a rebuild that did not move it; transformFit.ts). */
  fitted?: VectorTransform;
  /** With `fitted`: projectEmbedding of embeddings[i] under it, as assembleIndex takes it. */
  project?: (i: number) => Float64Array;
}

/**
 * Index v2 for the sharded layout: the same transform and int8 vectors as index v1, grouped by cell.
 * positions[i] is the catalog position of embeddings[i]; order[row] = i for the row that stores it;
 * vectors holds the int8 vectors by row (dims each).
 */
export async function assembleCellIndex(
  embeddings: Float32Array[],
  positions: Uint32Array,
  opts: AssembleCellIndexOptions,
): Promise<{
  bytes: Uint8Array;
  order: Uint32Array;
  vectors: Int8Array;
  dims: number;
  transform: VectorTransform;
}> {
  const { modelId, dims = DEFAULT_DIMS } = opts;
  if (positions.length !== embeddings.length)
    throw new Error('assembleCellIndex: one position per embedding');
  const transform =
    opts.fitted ?? (await fitTransform(embeddings, { ...opts.transform, dims, seed: DEFAULT_SEED }));
  const d = transform.dims;
  const compact = new Int8Array(embeddings.length * d);
  storedVectors(transform, embeddings, opts.blend, opts.fitted && opts.project).forEach((v, i) =>
    compact.set(v, i * d),
  );
  const { centroids, cellRows, order } = clusterCells(compact, d, opts);
  const vectors = new Int8Array(compact.length);
  const rowPositions = new Uint32Array(order.length);
  order.forEach((src, row) => {
    vectors.set(compact.subarray(src * d, (src + 1) * d), row * d);
    rowPositions[row] = positions[src];
  });
  const bytes = encodeCellIndex({
    modelId,
    transform,
    centroids,
    cellRows,
    vectors,
    positions: rowPositions,
  });
  return { bytes, order, vectors, dims: d, transform };
}
