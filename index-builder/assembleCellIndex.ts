import { encodeCellIndex } from '../core/cellIndexFormat';
import { compactVector } from '../core/vectorTransform';
import { DEFAULT_DIMS, DEFAULT_SEED } from './assembleIndex';
import { clusterCells, type CellClusteringOptions } from './cellClustering';
import { fitTransform, type TransformInputs } from './fitTransform';

export interface AssembleCellIndexOptions extends CellClusteringOptions {
  modelId: string;
  dims?: number;
  transform?: TransformInputs;
}

/**
 * Index v2 for the sharded layout: the same transform and int8 vectors as index v1, grouped by cell.
 * positions[i] is the catalog position of embeddings[i]; order[row] = i for the row that stores it;
 * vectors holds the int8 vectors by row (dims each).
 */
export function assembleCellIndex(
  embeddings: Float32Array[],
  positions: Uint32Array,
  opts: AssembleCellIndexOptions,
): { bytes: Uint8Array; order: Uint32Array; vectors: Int8Array; dims: number } {
  const { modelId, dims = DEFAULT_DIMS } = opts;
  if (positions.length !== embeddings.length)
    throw new Error('assembleCellIndex: one position per embedding');
  const transform = fitTransform(embeddings, { ...opts.transform, dims, seed: DEFAULT_SEED });
  const d = transform.dims;
  const compact = new Int8Array(embeddings.length * d);
  embeddings.forEach((e, i) => compact.set(compactVector(transform, e), i * d));
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
  return { bytes, order, vectors, dims: d };
}
