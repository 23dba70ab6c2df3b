import { projectEmbedding, type VectorTransform } from '../core/vectorTransform';

/*
 * Whether a rebuild may keep the previous build's fitted transform (issue 15: adding 1 % of images
 * should not cost a refit). The transform is a function of the collection's statistics; if the images
 * added and removed since it was fitted leave those statistics where they were, refitting would give
 * (nearly) the same projection and only cost time. Measured in the transform's own output space: the
 * second-moment matrix of the projected unit vectors over the images the old fit saw (and that are still
 * there) against the same over the whole new collection. Cheap: one projection per image, no eigen-
 * decomposition.
 */

/** Above this relative change of the projected second moments the transform is refitted. */
const MAX_TRANSFORM_DRIFT = 0.05;
/** More than this share of the fitted images gone, and the fit no longer describes the collection. */
const MAX_REMOVED_SHARE = 0.1;

interface DriftMeasure {
  /** ‖M_all − M_kept‖_F / ‖M_kept‖_F of the projected second-moment matrices. */
  drift: number;
  /** Images of the previous build still present / added since / removed since. */
  kept: number;
  added: number;
  removed: number;
}

/**
 * Adds v·vᵀ of each vector to the upper triangle of `m` (dims × dims), four vectors per pass over `m`
 * so that its 74 kB (96 dims) is read and written a quarter as often.
 */
function addOuterProducts(m: Float64Array, vectors: Float64Array[], dims: number): void {
  let i = 0;
  for (; i + 4 <= vectors.length; i += 4) {
    const [v0, v1, v2, v3] = [vectors[i], vectors[i + 1], vectors[i + 2], vectors[i + 3]];
    for (let a = 0; a < dims; a++) {
      const x0 = v0[a];
      const x1 = v1[a];
      const x2 = v2[a];
      const x3 = v3[a];
      const row = a * dims;
      for (let b = a; b < dims; b++) m[row + b] += x0 * v0[b] + x1 * v1[b] + x2 * v2[b] + x3 * v3[b];
    }
  }
  for (; i < vectors.length; i++) {
    const v = vectors[i];
    for (let a = 0; a < dims; a++) {
      const x = v[a];
      const row = a * dims;
      for (let b = a; b < dims; b++) m[row + b] += x * v[b];
    }
  }
}

/**
 * The drift of `transform` (fitted on the images whose content hashes are `fittedOn`) over the new
 * collection `images` (content hash + embedding). `project` gives images[i]'s projectEmbedding under
 * `transform` when the caller already has it (projectionCache.ts).
 */
export function measureDrift(
  transform: VectorTransform,
  fittedOn: ReadonlySet<string>,
  images: { hash: string; embedding: Float32Array }[],
  project: (i: number) => Float64Array = (i) => projectEmbedding(transform, images[i].embedding),
): DriftMeasure {
  const { dims } = transform;
  const kept: Float64Array[] = [];
  const added: Float64Array[] = [];
  const present = new Set<string>();
  for (const [i, image] of images.entries()) {
    const v = project(i);
    if (fittedOn.has(image.hash)) {
      kept.push(v);
      present.add(image.hash);
    } else added.push(v);
  }
  // M_kept = S_kept / k and M_all = (S_kept + S_added) / n, from the sums over the kept and the added
  // vectors: each vector is visited once. Only the upper triangle is summed (the matrices are symmetric;
  // off-diagonal terms count twice in the Frobenius norms).
  const sKept = new Float64Array(dims * dims);
  const sAdded = new Float64Array(dims * dims);
  addOuterProducts(sKept, kept, dims);
  addOuterProducts(sAdded, added, dims);
  const n = images.length;
  const k = kept.length;
  let diff = 0;
  let base = 0;
  for (let a = 0; a < dims; a++)
    for (let b = a; b < dims; b++) {
      const i = a * dims + b;
      const mKept = k > 0 ? sKept[i] / k : 0;
      const mAll = n > 0 ? (sKept[i] + sAdded[i]) / n : 0;
      const weight = a === b ? 1 : 2;
      diff += weight * (mAll - mKept) ** 2;
      base += weight * mKept ** 2;
    }
  return {
    drift: base > 0 ? Math.sqrt(diff / base) : Infinity,
    kept: kept.length,
    added: added.length,
    removed: fittedOn.size - present.size,
  };
}

/** Why the transform is refitted, or null when the previous one is kept. */
export function refitReason(m: DriftMeasure, fittedCount: number): string | null {
  if (m.kept === 0) return 'no image of the previous build is left';
  if (m.removed > MAX_REMOVED_SHARE * fittedCount)
    return `${m.removed} of the ${fittedCount} images it was fitted on are gone`;
  if (m.drift > MAX_TRANSFORM_DRIFT)
    return `the images added and removed moved it by ${(m.drift * 100).toFixed(1)} % (limit ${MAX_TRANSFORM_DRIFT * 100} %)`;
  return null;
}
