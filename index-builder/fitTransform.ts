import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { mulberry32 } from '../core/prng';
import type { VectorTransform } from '../core/vectorTransform';
import { dense, orthonormalised, product, projectRows, type Dense } from './denseKernels';
import { labelGroups, labelScatter } from './labelScatter';
import type { StylePairs } from '../models/stylePairsFile';
import { crossSourcePairs } from './sourcePairs';

interface FitTransformOptions {
  /** Requested output dims; capped at samples − 1 and at the input dim (at least 1). */
  dims: number;
  /**
   * Whitening regulariser: component i is divided by sqrt(λ_i + ε·mean(λ)) with the mean over the
   * kept components. 0 = full whitening; large = plain PCA. Keeps tiny collections from blowing
   * up noise directions to unit variance. Default: whitenEpsilonFor(sampled rows, learned).
   */
  whitenEpsilon?: number;
  /** The covariance is estimated from at most this many rows (seeded sample) to bound build time. */
  maxFitRows?: number;
  /** Seed of the row sample. */
  seed?: number;
  /**
   * Edited copies of some rows (index-builder/augmentedViews.ts). With enough of them the projection
   * is learned: directions along which an image and its edited copies differ are damped, and the
   * output keeps the directions that separate images most relative to that (learned whitening).
   */
  views?: AugmentedView[];
  /**
   * How far within-image variation is damped: it is regularised by this fraction of the collection's
   * mean (whitened) variance. Small = strong invariance; large = the plain whitened PCA.
   */
  invarianceRegulariser?: number;
  /**
   * A label per embedding (undefined = none), from the collection's names or metadata
   * (imageLabels.ts): rows with the same label show the same thing, so what varies between them —
   * another vendor's drawing of one emoji, another photo of one product — is damped like an edit.
   */
  labels?: readonly (string | undefined)[];
  /**
   * A source per embedding (undefined = none), from the collection's names (imageLabels.ts): where
   * each image comes from when every source shows many of the same things in its own style (emoji
   * vendors, shops). Rows that are each other's nearest in another source teach the fit like a label
   * (sourcePairs.ts), rows with a shared label excepted.
   */
  sources?: readonly (string | undefined)[];
  /**
   * Where the model's colour block sits in the embedding (ModelSpec output.colourBlock): the last
   * COLOUR_DIMS output dims of a learned fit then come from it alone (withColourDims).
   */
  colourBlock?: ColourBlock;
  /**
   * How the same subject differs between drawing styles, from reference art outside the collection
   * (models/stylePairs.ts): a learned fit of at least MIN_DIMS_FOR_STYLE_PAIRS output dims damps it too,
   * at STYLE_PAIRS_WEIGHT. Rows as long as the embeddings.
   */
  stylePairs?: Pick<StylePairs, 'dim' | 'rows'>;
}

type ColourBlock = { offset: number; dim: number };

/** What a build adds to the dims when fitting: regularisers, views and labels (publishBuild's transformInputs). */
export type TransformInputs = Pick<
  FitTransformOptions,
  'whitenEpsilon' | 'invarianceRegulariser' | 'views' | 'labels' | 'sources' | 'colourBlock' | 'stylePairs'
>;

/** A fit and what its sources taught it. */
export interface FittedTransform {
  transform: VectorTransform;
  /** The cross-source pairs found (sourcePairs.ts); absent without sources. Fewer than 2 teach nothing. */
  sourcePairs?: number;
}

/** The embedding of an edited copy of row `row`. */
export interface AugmentedView {
  row: number;
  embedding: Float32Array;
}

/** Below this many views the within-image scatter is too noisy to learn from: plain whitened PCA. */
export const MIN_VIEWS = 16;
/** Chosen on the development sets: stronger (smaller) values trade texture precision for edit robustness. */
const DEFAULT_INVARIANCE_REGULARISER = 2;
/**
 * How much more the variation between rows of one label (per row, about the label's mean) is damped
 * than an edited copy's: the labels say outright what must not matter, the edits only guess. Added to
 * the views' scatter, so directions the labels do not span keep the unlabelled trade (ρ). Chosen on the
 * emoji development sets: 4 gains less, 64 about the same (docs/model.md).
 */
const LABEL_WEIGHT = 16;
/**
 * The style pairs' scatter (per pair) is added to the within scatter at this weight, so the collection's
 * own edits and labels still lead. Chosen on emoji-facebook (1 and 4 within 0.003 of it; 16 and 64 lose)
 * and measured on every development set: emoji recall@10 +0.012, OpenMoji +0.019, photos and textures
 * level (docs/model.md#shipped-style-pairs).
 */
const STYLE_PAIRS_WEIGHT = 2;
/**
 * Fits of fewer output dims (the sharded layout's 96) do without them: there they moved emoji-facebook
 * recall@10 up and hit@1 down by 0.008 each, both inside the noise (docs/model.md).
 */
const MIN_DIMS_FOR_STYLE_PAIRS = 128;
/**
 * Fewer labels than this (shared by two or more rows) teach nothing: one label over the labelled
 * images says only that they are alike, and damping all their variation damps the collection.
 */
export const MIN_SHARED_LABELS = 2;
/**
 * Learned whitening works in the collection's leading PCA components: one per this many sampled rows,
 * at least MIN_INNER_DIMS and at most MAX_INNER_DIMS. Large collections keep directions that tell
 * similar images apart (the emoji development sets gain from 256 to 384; 512 trades one emoji set
 * against the other for twice the fit's time); a small one cannot estimate that many (a 700-image
 * texture set loses from 256 to 384), so it stays at 256 (docs/model.md).
 */
const ROWS_PER_INNER_DIM = 16;
const MIN_INNER_DIMS = 256;
const MAX_INNER_DIMS = 384;
/** From this many fitted rows on, the fit starts from MAX_INNER_DIMS components. */
export const MAX_INNER_DIMS_FROM_ROWS = ROWS_PER_INNER_DIM * MAX_INNER_DIMS;

/** The learned whitening's inner dims for a fit over `rows` sampled rows (before the caps of the data). */
export function invarianceInnerDims(rows: number): number {
  return Math.min(MAX_INNER_DIMS, Math.max(MIN_INNER_DIMS, Math.round(rows / ROWS_PER_INNER_DIM)));
}

/**
 * The whitening regulariser of a fit over `rows` sampled rows, learned (from edited views) or not.
 * A learned fit over fewer than two rows per component of its inner space (MIN_INNER_DIMS) damps
 * more: its trailing components are mostly noise, and a small collection keeps its neighbours better
 * (40 and 205 texture crops: P@4 0.888 → 0.969 and 0.851 → 0.904 against 0.1; small emoji galleries
 * level). Larger collections keep 0.1: 0.3 gained emoji recall@10 (+0.004) but lost near-duplicate
 * grouping and region search on the 824-image photo collection of the bench (docs/model.md).
 */
export function whitenEpsilonFor(rows: number, learned: boolean): number {
  return learned && rows < 2 * MIN_INNER_DIMS ? SMALL_COLLECTION_WHITEN_EPSILON : DEFAULT_WHITEN_EPSILON;
}
const DEFAULT_WHITEN_EPSILON = 0.1;
const SMALL_COLLECTION_WHITEN_EPSILON = 1;
export const DEFAULT_MAX_FIT_ROWS = 10_000;
/**
 * Above this size the full eigendecomposition (O(n³) in JS: 1.5 s at 600, 5.4 s at 900, ~2 min at
 * 2048) loses to subspace iteration, whose products run in onnxruntime (~1 s at any of these sizes).
 */
const FULL_EIGEN_MAX_DIM = 640;
/** Enough for the leading components of CNN features, whose spectrum decays fast. */
const SUBSPACE_ITERATIONS = 16;
/**
 * Output dims given to the model's colour block: its own whitened principal components, outside the
 * learned whitening. The edited views teach that whitening to discount brightness and saturation, and
 * with them what tells skin tones, or a texture's colours, apart; these dims keep colour in the score at
 * a small share. Chosen on the development sets (docs/model.md#shipped-colour-dims-outside-the-learned-whitening):
 * a larger share loses greyscale and darkened photo edits.
 */
const COLOUR_DIMS = 16;
/** The colour dims' mean squared length over the other dims' (their share of a score, roughly). */
const COLOUR_SHARE = 0.08;
/** The colour components' whitening regulariser (fitTransform's ε, for this block alone). */
const COLOUR_WHITEN_EPSILON = 0.1;
/**
 * A transform with fewer output dims keeps them all for the rest of the embedding: at the sharded
 * layout's 96, giving 16 to colour lost emoji and photo queries (docs/model.md).
 */
const MIN_DIMS_FOR_COLOUR = 128;
/** How many sampled rows set the colour dims' scale. */
const COLOUR_SCALE_ROWS = 1000;

/** quantScale maps this quantile of |component| to 127; the rare larger values clamp. */
const QUANT_QUANTILE = 0.9999;

function assertEmbeddings(embeddings: Float32Array[]): number {
  if (!Array.isArray(embeddings) || embeddings.length === 0)
    throw new Error('fitTransform: need at least one embedding');
  const dim = embeddings[0].length;
  if (dim < 1) throw new Error('fitTransform: embeddings must not be empty');
  embeddings.forEach((e, i) => {
    if (!(e instanceof Float32Array))
      throw new TypeError(`fitTransform: embedding ${i} is not a Float32Array`);
    if (e.length !== dim)
      throw new Error(`fitTransform: embedding ${i} has ${e.length} values, expected ${dim}`);
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(e[j])) throw new Error(`fitTransform: embedding ${i} value ${j} is not finite`);
    }
  });
  return dim;
}

/** A seeded sample of row indices (all rows when there are few enough), in ascending order. */
function sampleRows(n: number, max: number, seed: number): number[] {
  const rows = Array.from({ length: n }, (_, i) => i);
  if (n <= max) return rows;
  const next = mulberry32(seed);
  for (let i = 0; i < max; i++) {
    const j = i + (next() % (n - i));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return rows.slice(0, max).sort((a, b) => a - b);
}

/** Top eigenpairs of a symmetric matrix, largest first: [values, vectors as columns]. */
export async function topEigen(
  sym: Matrix,
  k: number,
  seed: number,
  method: 'full' | 'subspace' = sym.rows <= FULL_EIGEN_MAX_DIM ? 'full' : 'subspace',
): Promise<{ values: number[]; vectors: Matrix }> {
  const n = sym.rows;
  if (method === 'full') return fullTopEigen(sym, k);
  // Subspace iteration with a Rayleigh–Ritz step: only the top k directions are needed. The basis is
  // kept as rows (Qᵀ), so each step is Qᵀ·S = (S·Q)ᵀ (S is symmetric) over contiguous memory.
  const block = Math.min(n, k + 16);
  const next = mulberry32(seed ^ 0x9e3779b9);
  const s = dense(Float64Array.from(sym.to1DArray()), n, n);
  let qt = dense(
    Float64Array.from({ length: block * n }, () => next() / 2 ** 32 - 0.5),
    block,
    n,
  );
  qt = await orthonormalised(qt, seed);
  for (let iter = 0; iter < SUBSPACE_ITERATIONS; iter++)
    qt = await orthonormalised(await product(qt, s), seed + iter + 1);
  // Qᵀ S Q, block × block.
  const small = await product(await product(qt, s), qt, { transB: true });
  const inner = fullTopEigen(symmetric(small), k);
  // (Q·V)ᵀ = Vᵀ·Qᵀ, transposed back into columns.
  const vt = dense(Float64Array.from(inner.vectors.transpose().to1DArray()), inner.vectors.columns, block);
  const qv = await product(vt, qt);
  const vectors = new Matrix(n, qv.rows);
  for (let c = 0; c < qv.rows; c++) for (let r = 0; r < n; r++) vectors.set(r, c, qv.data[c * n + r]);
  return { values: inner.values, vectors };
}

function fullTopEigen(sym: Matrix, k: number): { values: number[]; vectors: Matrix } {
  const e = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const order = e.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const picked = order.slice(0, k);
  return {
    values: picked.map(([v]) => v),
    vectors: e.eigenvectorMatrix.subMatrixColumn(picked.map(([, i]) => i)),
  };
}

/** (M + Mᵀ) / 2 of a square product, against rounding before the symmetric solver. */
function symmetric(m: Dense): Matrix {
  const out = new Matrix(m.rows, m.rows);
  for (let a = 0; a < m.rows; a++)
    for (let b = a; b < m.rows; b++) {
      const v = (m.data[a * m.rows + b] + m.data[b * m.rows + a]) / 2;
      out.set(a, b, v);
      out.set(b, a, v);
    }
  return out;
}

/**
 * Fits the compact-vector transform on a collection: mean, PCA projection with regularised whitening
 * folded in, and the int8 quantization scale.
 */
export async function fitTransform(
  embeddings: Float32Array[],
  options: FitTransformOptions,
): Promise<VectorTransform> {
  return (await fitCollectionTransform(embeddings, options)).transform;
}

/**
 * fitTransform, saying how many cross-source pairs taught it. With sources the collection is fitted
 * twice: the first fit finds the pairs, the second learns from them.
 */
export async function fitCollectionTransform(
  embeddings: Float32Array[],
  options: FitTransformOptions,
): Promise<FittedTransform> {
  const { sources } = options;
  if (sources !== undefined && sources.length !== embeddings.length)
    throw new RangeError(
      `fitTransform: ${sources.length} sources for ${embeddings.length} embeddings (one each, undefined for none)`,
    );
  const first = await fitOnce(embeddings, options, []);
  if (sources === undefined) return { transform: first };
  const pairs = await pairsAcrossSources(embeddings, options, sources, first);
  if (pairs.length < MIN_SHARED_LABELS) return { transform: first, sourcePairs: pairs.length };
  return { transform: await fitOnce(embeddings, options, pairs), sourcePairs: pairs.length };
}

/**
 * The fit's sampled rows that have a source and no label another row shares, paired across sources
 * under the first fit (crossSourcePairs), as row indices.
 */
async function pairsAcrossSources(
  embeddings: Float32Array[],
  options: FitTransformOptions,
  sources: readonly (string | undefined)[],
  first: VectorTransform,
): Promise<[number, number][]> {
  const { labels } = options;
  const perLabel = new Map<string, number>();
  for (const l of labels ?? []) if (l !== undefined) perLabel.set(l, (perLabel.get(l) ?? 0) + 1);
  const labelShared = (r: number) => labels?.[r] !== undefined && perLabel.get(labels[r]!)! >= 2;
  const candidates = sampleRows(
    embeddings.length,
    options.maxFitRows ?? DEFAULT_MAX_FIT_ROWS,
    options.seed ?? 1,
  ).filter((r) => sources[r] !== undefined && !labelShared(r));
  if (new Set(candidates.map((r) => sources[r])).size < 2) return [];
  const basis = asDense(first.projection, first.dims);
  const projected = await projectRows(candidates, embeddings, Float64Array.from(first.mean), basis);
  const pairs = await crossSourcePairs(
    projected,
    candidates.map((r) => sources[r]!),
  );
  return pairs.map(([a, b]) => [candidates[a], candidates[b]]);
}

/** One fit; `pairs` (row indices) teach it like labels of two rows each. */
async function fitOnce(
  embeddings: Float32Array[],
  options: FitTransformOptions,
  pairs: readonly [number, number][],
): Promise<VectorTransform> {
  const inputDim = assertEmbeddings(embeddings);
  const {
    dims: requested,
    whitenEpsilon: requestedEpsilon,
    maxFitRows = DEFAULT_MAX_FIT_ROWS,
    seed = 1,
    views = [],
    labels,
    colourBlock,
    stylePairs,
  } = options;
  if (!Number.isInteger(requested) || requested < 1)
    throw new RangeError(`fitTransform: dims must be ≥ 1, got ${requested}`);
  if (requestedEpsilon !== undefined && (!(requestedEpsilon >= 0) || !Number.isFinite(requestedEpsilon)))
    throw new RangeError('fitTransform: whitenEpsilon must be ≥ 0');
  if (!Number.isInteger(maxFitRows) || maxFitRows < 2)
    throw new RangeError('fitTransform: maxFitRows must be ≥ 2');
  if (labels !== undefined && labels.length !== embeddings.length)
    throw new RangeError(
      `fitTransform: ${labels.length} labels for ${embeddings.length} embeddings (one each, undefined for none)`,
    );
  if (stylePairs !== undefined && stylePairs.dim !== inputDim)
    throw new RangeError(
      `fitTransform: style pairs of ${stylePairs.dim} dims for ${inputDim}-dim embeddings`,
    );
  views.forEach((v, i) => {
    if (!Number.isInteger(v.row) || v.row < 0 || v.row >= embeddings.length)
      throw new RangeError(`fitTransform: view ${i} names row ${v.row}, not one of the embeddings`);
  });
  assertEmbeddings([embeddings[0], ...views.map((v) => v.embedding)]);
  if (
    colourBlock !== undefined &&
    !(
      Number.isInteger(colourBlock.offset) &&
      Number.isInteger(colourBlock.dim) &&
      colourBlock.offset >= 0 &&
      colourBlock.dim >= 1 &&
      colourBlock.offset + colourBlock.dim <= inputDim
    )
  )
    throw new RangeError(
      `fitTransform: colour block [${colourBlock.offset}, +${colourBlock.dim}) is not inside the ${inputDim} inputs`,
    );
  const rows = sampleRows(embeddings.length, maxFitRows, seed);
  const n = rows.length;
  const shared = labels ? labelGroups(labels, seed) : [];
  // The pairs join the label groups in first-row order, so that the scatter sums in a fixed order.
  const groups = [...(shared.length >= MIN_SHARED_LABELS ? shared : []), ...pairs.map((p) => [...p])].sort(
    (a, b) => a[0] - b[0],
  );
  const learn = views.length >= MIN_VIEWS || groups.length > 0;
  const invarianceRegulariser = options.invarianceRegulariser ?? DEFAULT_INVARIANCE_REGULARISER;
  if (!(invarianceRegulariser > 0) || !Number.isFinite(invarianceRegulariser))
    throw new RangeError('fitTransform: invarianceRegulariser must be > 0');
  const whitenEpsilon = requestedEpsilon ?? whitenEpsilonFor(n, learn);

  const mean = new Float64Array(inputDim);
  for (const e of embeddings) for (let j = 0; j < inputDim; j++) mean[j] += e[j];
  for (let j = 0; j < inputDim; j++) mean[j] /= embeddings.length;
  // The sampled rows minus the mean, n × inputDim.
  const centred = dense(new Float64Array(n * inputDim), n, inputDim);
  rows.forEach((r, i) => {
    const e = embeddings[r];
    for (let j = 0; j < inputDim; j++) centred.data[i * inputDim + j] = e[j] - mean[j];
  });

  // Principal directions (columns of `directions`) and covariance eigenvalues, largest first. With
  // fewer samples than dims, the n×n Gram matrix has the same non-zero spectrum and is cheaper.
  const outDims = Math.max(1, Math.min(requested, n - 1, inputDim));
  // Learned whitening needs room beyond the output dims to find directions that survive editing.
  const maxDims = learn
    ? Math.max(1, Math.min(Math.max(requested, invarianceInnerDims(n)), n - 1, inputDim))
    : outDims;
  let values: number[];
  let directions: Matrix;
  if (n <= inputDim) {
    const gram = symmetric(await product(centred, centred, { transB: true }));
    const eig = await topEigen(gram, maxDims, seed);
    values = eig.values.map((v) => Math.max(0, v) / n);
    const v = eig.vectors;
    const cols = await product(centred, dense(Float64Array.from(v.to1DArray()), v.rows, v.columns), {
      transA: true,
    });
    directions = Matrix.from1DArray(inputDim, maxDims, cols.data);
    for (let c = 0; c < maxDims; c++) {
      const norm = directions.getColumnVector(c).norm();
      if (norm > 0) for (let r = 0; r < inputDim; r++) directions.set(r, c, directions.get(r, c) / norm);
    }
  } else {
    const eig = await topEigen(await covarianceOf(centred), maxDims, seed);
    values = eig.values.map((v) => Math.max(0, v));
    directions = eig.vectors;
  }

  // Components without variance carry no information about the collection; keep at least one.
  const tiny = 1e-12 * Math.max(values[0], Number.MIN_VALUE);
  let dims = values.filter((v) => v > tiny).length;
  if (dims === 0) {
    dims = 1;
    values = [0];
    directions = Matrix.zeros(inputDim, 1);
    directions.set(0, 0, 1);
  }
  // The regulariser's scale is the mean variance of the components the output keeps.
  const keptForFloor = Math.min(dims, outDims);
  const meanValue = values.slice(0, keptForFloor).reduce((a, b) => a + b, 0) / keptForFloor;
  const floor = meanValue > 0 ? whitenEpsilon * meanValue : 1;

  let basis: Float32Array = new Float32Array(dims * inputDim);
  for (let c = 0; c < dims; c++) {
    const weight = 1 / Math.sqrt(values[c] + floor);
    for (let r = 0; r < inputDim; r++) basis[c * inputDim + r] = weight * directions.get(r, c);
  }
  let outputDims = Math.min(dims, outDims);
  if (learn && dims > 1) {
    basis = await learnedWhitening(
      basis,
      dims,
      centred,
      embeddings,
      views.length >= MIN_VIEWS ? views : [],
      groups.length > 0 ? { groups, rows, mean } : undefined,
      outputDims >= MIN_DIMS_FOR_STYLE_PAIRS ? stylePairs : undefined,
      outputDims,
      invarianceRegulariser,
    );
  } else {
    basis = basis.slice(0, outputDims * inputDim);
  }
  outputDims = basis.length / inputDim;
  // Only a learned fit discounts colour (its views edit it); the plain whitened PCA keeps it as it is.
  if (
    learn &&
    colourBlock !== undefined &&
    colourBlock.dim >= COLOUR_DIMS &&
    outputDims >= MIN_DIMS_FOR_COLOUR
  )
    basis = await withColourDims(basis, centred, colourBlock);
  const projection = withFixedSigns(basis, outputDims, inputDim);

  return {
    inputDim,
    dims: outputDims,
    mean: Float32Array.from(mean),
    projection,
    quantScale: await quantScaleFor(centred, projection, outputDims),
  };
}

/**
 * `basis` with its last COLOUR_DIMS rows replaced by the colour block's leading principal components
 * (over the sampled rows, whitened with COLOUR_WHITEN_EPSILON), scaled so that their mean squared length
 * is COLOUR_SHARE of the remaining rows'. The rows stay one linear map of the embedding, so the index
 * format, the queries and the browser do not change.
 */
async function withColourDims(
  basis: Float32Array,
  centred: Dense,
  block: ColourBlock,
): Promise<Float32Array> {
  const inputDim = centred.cols;
  const n = centred.rows;
  const kept = basis.length / inputDim - COLOUR_DIMS;
  const slice = dense(new Float64Array(n * block.dim), n, block.dim);
  for (let i = 0; i < n; i++)
    slice.data.set(
      centred.data.subarray(i * inputDim + block.offset, i * inputDim + block.offset + block.dim),
      i * block.dim,
    );
  const { values, vectors } = fullTopEigen(await covarianceOf(slice), COLOUR_DIMS);
  const floor = COLOUR_WHITEN_EPSILON * (values.reduce((a, b) => a + Math.max(0, b), 0) / COLOUR_DIMS);
  const colour = new Float32Array(COLOUR_DIMS * inputDim);
  for (let c = 0; c < COLOUR_DIMS; c++) {
    const weight = floor > 0 ? 1 / Math.sqrt(Math.max(0, values[c]) + floor) : 0;
    for (let r = 0; r < block.dim; r++) colour[c * inputDim + block.offset + r] = weight * vectors.get(r, c);
  }
  const headRows = Math.min(n, COLOUR_SCALE_ROWS);
  const head = dense(centred.data.slice(0, headRows * inputDim), headRows, inputDim);
  const meanSquare = async (rows: Float32Array, count: number) => {
    const projected = await product(head, asDense(rows, count), { transB: true });
    return projected.data.reduce((a, v) => a + v * v, 0) / head.rows;
  };
  const rest = basis.subarray(0, kept * inputDim);
  const colourSquare = await meanSquare(colour, COLOUR_DIMS);
  const scale =
    colourSquare > 0 ? Math.sqrt((COLOUR_SHARE * (await meanSquare(rest, kept))) / colourSquare) : 0;
  for (let i = 0; i < colour.length; i++) colour[i] *= scale;
  const out = new Float32Array(basis.length);
  out.set(rest, 0);
  out.set(colour, kept * inputDim);
  return out;
}

/** Eigenvector signs are arbitrary; making each row's largest entry positive makes rebuilds byte-identical. */
function withFixedSigns(rows: Float32Array, count: number, width: number): Float32Array {
  const out = new Float32Array(count * width);
  for (let c = 0; c < count; c++) {
    let sign = 1;
    let biggest = 0;
    for (let r = 0; r < width; r++) {
      const v = rows[c * width + r];
      if (Math.abs(v) > biggest) {
        biggest = Math.abs(v);
        sign = v < 0 ? -1 : 1;
      }
    }
    for (let r = 0; r < width; r++) out[c * width + r] = sign * rows[c * width + r];
  }
  return out;
}

function asDense(rows: Float32Array, count: number): Dense {
  return dense(Float64Array.from(rows), count, rows.length / count);
}

/**
 * Learned whitening (Radenović et al. 2016): in the whitened PCA space `basis`, the within scatter
 * S_w — of edited copies against their originals, of labelled rows about their label's mean, and of the
 * style pairs — is regularised by ρ × the mean collection variance, and the output is the top eigenvectors of
 * S⁻½ C S⁻½ (C the collection's scatter) applied after S⁻½. Without either S ∝ I and this is the
 * whitened PCA itself.
 */
async function learnedWhitening(
  basis: Float32Array,
  inner: number,
  centred: Dense,
  embeddings: Float32Array[],
  views: AugmentedView[],
  labelled: { groups: number[][]; rows: readonly number[]; mean: Float64Array } | undefined,
  stylePairs: FitTransformOptions['stylePairs'],
  outDims: number,
  rho: number,
): Promise<Float32Array> {
  const inputDim = basis.length / inner;
  const b = asDense(basis, inner);
  const projected = await product(centred, b, { transB: true });
  const collection = await covarianceOf(projected);
  let within = Matrix.zeros(inner, inner);
  if (views.length > 0) {
    const diffs = dense(new Float64Array(views.length * inputDim), views.length, inputDim);
    views.forEach((v, i) => {
      const original = embeddings[v.row];
      for (let j = 0; j < inputDim; j++) diffs.data[i * inputDim + j] = v.embedding[j] - original[j];
    });
    within = await covarianceOf(await product(diffs, b, { transB: true }));
  }
  if (labelled !== undefined) {
    const sampled = new Map(labelled.rows.map((r, i) => [r, i]));
    const { groups, mean } = labelled;
    const scatter = await labelScatter(groups, embeddings, mean, b, projected, sampled);
    within = within.add(symmetric(dense(scatter, inner, inner)).mul(LABEL_WEIGHT));
  }
  if (stylePairs !== undefined) {
    // Each row is a pair's difference over √2: its outer product is the pair's scatter about its mean.
    const pairs = dense(Float64Array.from(stylePairs.rows), stylePairs.rows.length / inputDim, inputDim);
    within = within.add(
      (await covarianceOf(await product(pairs, b, { transB: true }))).mul(STYLE_PAIRS_WEIGHT),
    );
  }
  let meanVariance = 0;
  for (let i = 0; i < inner; i++) meanVariance += collection.get(i, i) / inner;
  const regularised = within.add(Matrix.eye(inner, inner).mul(rho * Math.max(meanVariance, 1e-12)));
  const eig = new EigenvalueDecomposition(regularised, { assumeSymmetric: true });
  const q = eig.eigenvectorMatrix;
  const invSqrt = Matrix.diag(eig.realEigenvalues.map((v) => 1 / Math.sqrt(Math.max(v, 1e-12))));
  const sInvHalf = q.mmul(invSqrt).mmul(q.transpose());
  const between = sInvHalf.mmul(collection).mmul(sInvHalf);
  // Symmetrise against rounding before the symmetric solver.
  const sym = between.add(between.transpose()).mul(0.5);
  const top = await topEigen(sym, Math.min(outDims, inner), 7, 'full');
  // Output row k = v_kᵀ S⁻½ basis.
  const mix = top.vectors.transpose().mmul(sInvHalf); // outDims × inner
  const out = await product(dense(Float64Array.from(mix.to1DArray()), mix.rows, inner), b);
  return Float32Array.from(out.data);
}

/** (1/n)·XᵀX of centred rows (n × dim): the fit's largest product. */
async function covarianceOf(centred: Dense): Promise<Matrix> {
  const acc = await product(centred, centred, { transA: true });
  for (let i = 0; i < acc.data.length; i++) acc.data[i] /= centred.rows;
  return symmetric(acc);
}

/** 127 / (a high quantile of |component|) over the fitted rows' unit-length projections. */
async function quantScaleFor(centred: Dense, projection: Float32Array, dims: number): Promise<number> {
  const projected = await product(centred, asDense(projection, dims), { transB: true });
  const magnitudes = new Float64Array(centred.rows * dims);
  for (let i = 0; i < centred.rows; i++) {
    let norm2 = 0;
    for (let c = 0; c < dims; c++) norm2 += projected.data[i * dims + c] ** 2;
    const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    for (let c = 0; c < dims; c++) magnitudes[i * dims + c] = Math.abs(projected.data[i * dims + c] * inv);
  }
  magnitudes.sort();
  const q = magnitudes[Math.min(magnitudes.length - 1, Math.floor(QUANT_QUANTILE * magnitudes.length))];
  // All-zero projections (a single image) have no range to fit; any scale gives zero vectors.
  return q > 0 ? 127 / q : 127;
}
