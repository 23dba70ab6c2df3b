import type { CatalogItem } from '../core/catalog';
import type { VectorTransform } from '../core/vectorTransform';
import { encodeCellIndex } from '../core/cellIndexFormat';
import { DEFAULT_SEED, SHARDED_DIMS, storedVectors } from './assembleIndex';
import { borderCopies } from './cellCopies';
import { clusterCells, type CellClustering, type CellClusteringOptions } from './cellClustering';
import { fitTransform, type TransformInputs } from './fitTransform';
import type { NeighbourBlendOptions } from './neighbourBlend';

interface CellIndexRowsOptions {
  dims?: number;
  transform?: TransformInputs;
  /** Blend each stored row with its nearest neighbours (neighbourBlend.ts); off when absent. */
  blend?: NeighbourBlendOptions;
  /** A transform to keep instead of fitting one (a rebuild that did not move it; transformFit.ts). */
  fitted?: VectorTransform;
  /** With `fitted`: projectEmbedding of embeddings[i] under it, as assembleIndex takes it. */
  project?: (i: number) => Float64Array;
}

interface AssembleCellIndexOptions extends CellClusteringOptions, CellIndexRowsOptions {
  modelId: string;
  /** The catalog item at each position, stored with the rows (index v4); absent: v3. */
  items?: readonly CatalogItem[];
}

/** The transform and each embedding's int8 row (`dims` each, in input order), as index v1 stores them. */
export async function cellIndexRows(
  embeddings: Float32Array[],
  opts: CellIndexRowsOptions,
): Promise<{ transform: VectorTransform; rows: Int8Array; dims: number }> {
  const { dims = SHARDED_DIMS } = opts;
  const transform =
    opts.fitted ?? (await fitTransform(embeddings, { ...opts.transform, dims, seed: DEFAULT_SEED }));
  const d = transform.dims;
  const rows = new Int8Array(embeddings.length * d);
  // The cell format stores int8 rows at any dims.
  storedVectors(transform, embeddings, 8, opts.blend, opts.fitted && opts.project).forEach((v, i) =>
    rows.set(v, i * d),
  );
  return { transform, rows, dims: d };
}

/**
 * Index v4 from int8 rows (input order) grouped into `cells`, with copies of border rows
 * (cellCopies.ts) and each cell's items (`items[position]`; v3 without them). positions[i] is the
 * catalog position of row i; order[row] = i for the index row that stores it in its own cell; vectors
 * holds the int8 vectors by index row (copies not included).
 */
export async function encodeCellRows(
  rows: Int8Array,
  dims: number,
  positions: Uint32Array,
  cells: CellClustering,
  modelId: string,
  transform: VectorTransform,
  items?: readonly CatalogItem[],
): Promise<{ bytes: Uint8Array; order: Uint32Array; vectors: Int8Array }> {
  const { centroids, cellRows, order } = cells;
  if (positions.length * dims !== rows.length || order.length !== positions.length)
    throw new Error('encodeCellRows: one position and one cell row per input row');
  const vectors = new Int8Array(rows.length);
  const rowPositions = new Uint32Array(order.length);
  order.forEach((src, row) => {
    vectors.set(rows.subarray(src * dims, (src + 1) * dims), row * dims);
    rowPositions[row] = positions[src];
  });
  const bytes = encodeCellIndex({
    modelId,
    transform,
    centroids,
    cellRows,
    vectors,
    positions: rowPositions,
    copies: await borderCopies(vectors, rowPositions, dims, centroids, cellRows),
    items,
  });
  return { bytes, order, vectors };
}

/**
 * Index v4 (v3 without `items`) for the sharded layout with freshly clustered cells (the bench and tests; a build takes its
 * cells from the duplicate pair scan, which keeps them across rebuilds: publishSharded.ts).
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
  if (positions.length !== embeddings.length)
    throw new Error('assembleCellIndex: one position per embedding');
  const { transform, rows, dims } = await cellIndexRows(embeddings, opts);
  const cells = clusterCells(rows, dims, opts);
  return {
    ...(await encodeCellRows(rows, dims, positions, cells, opts.modelId, transform, opts.items)),
    dims,
    transform,
  };
}
