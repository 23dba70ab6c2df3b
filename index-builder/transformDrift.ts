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
export const MAX_TRANSFORM_DRIFT = 0.05;
/** More than this share of the fitted images gone, and the fit no longer describes the collection. */
export const MAX_REMOVED_SHARE = 0.1;

export interface DriftMeasure {
  /** ‖M_all − M_kept‖_F / ‖M_kept‖_F of the projected second-moment matrices. */
  drift: number;
  /** Images of the previous build still present / added since / removed since. */
  kept: number;
  added: number;
  removed: number;
}

function secondMoments(vectors: Float64Array[], dims: number): Float64Array {
  const m = new Float64Array(dims * dims);
  for (const v of vectors) {
    for (let a = 0; a < dims; a++) {
      const va = v[a];
      if (va === 0) continue;
      const row = a * dims;
      for (let b = a; b < dims; b++) m[row + b] += va * v[b];
    }
  }
  const inv = vectors.length > 0 ? 1 / vectors.length : 0;
  for (let a = 0; a < dims; a++)
    for (let b = a; b < dims; b++) {
      const x = m[a * dims + b] * inv;
      m[a * dims + b] = x;
      m[b * dims + a] = x;
    }
  return m;
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
  const all: Float64Array[] = [];
  const kept: Float64Array[] = [];
  const present = new Set<string>();
  for (const [i, image] of images.entries()) {
    const v = project(i);
    all.push(v);
    if (fittedOn.has(image.hash)) {
      kept.push(v);
      present.add(image.hash);
    }
  }
  const mAll = secondMoments(all, dims);
  const mKept = secondMoments(kept, dims);
  let diff = 0;
  let base = 0;
  for (let i = 0; i < mAll.length; i++) {
    diff += (mAll[i] - mKept[i]) ** 2;
    base += mKept[i] ** 2;
  }
  return {
    drift: base > 0 ? Math.sqrt(diff / base) : Infinity,
    kept: kept.length,
    added: images.length - kept.length,
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
