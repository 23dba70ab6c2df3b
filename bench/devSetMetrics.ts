import { createHash } from 'node:crypto';
import type { DevSetQuery } from './devSetManifest';

/*
 * The dev-set metrics, over ranked result labels (pure: no files, no models), and the deterministic
 * query sampling of `--subset`.
 */

/** One answered query: its ground truth and the labels of its results, best first (undefined = distractor). */
export interface RankedQuery {
  group: string;
  facet?: string;
  label: string;
  ranked: (string | undefined)[];
  /** Set when the query failed (decode error, …): it counts as a miss. */
  error?: string;
}

export interface Metrics {
  queries: number;
  /** Top result has the query's label. */
  hitAt1: number;
  /** Any of the top 10 has the query's label. */
  recallAt10: number;
  /** Fraction of the top 4 with the query's label. */
  precisionAt4: number;
}

export interface SetScores {
  /** Over all queries, or the mean of the groups' values when `overallIsMeanOfGroups`. */
  overall: Metrics;
  overallIsMeanOfGroups: boolean;
  byGroup: Record<string, Metrics>;
  /** Pooled over the queries of each facet, when the set's queries have facets. */
  byFacet?: Record<string, Metrics>;
  failed: number;
}

function metricsOf(qs: RankedQuery[]): Metrics {
  let hit = 0;
  let recall = 0;
  let precision = 0;
  for (const q of qs) {
    if (q.ranked[0] === q.label) hit++;
    if (q.ranked.slice(0, 10).includes(q.label)) recall++;
    precision += q.ranked.slice(0, 4).filter((l) => l === q.label).length / 4;
  }
  const n = Math.max(1, qs.length);
  return { queries: qs.length, hitAt1: hit / n, recallAt10: recall / n, precisionAt4: precision / n };
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Scores a set's answered queries per group and overall. `meanOfGroups` makes the overall figure the
 * unweighted mean of the groups (the emoji set's mean over held-out vendors, as qualityBench reports it).
 */
export function scoreQueries(qs: RankedQuery[], meanOfGroups = false): SetScores {
  const partition = (key: (q: RankedQuery) => string | undefined) => {
    const parts = new Map<string, RankedQuery[]>();
    for (const q of qs) {
      const k = key(q);
      if (k === undefined) continue;
      const part = parts.get(k);
      if (part) part.push(q);
      else parts.set(k, [q]);
    }
    return parts;
  };
  const groups = partition((q) => q.group);
  const facets = partition((q) => q.facet);
  const metricsBy = (parts: Map<string, RankedQuery[]>) =>
    Object.fromEntries([...parts.keys()].sort(byName).map((k) => [k, metricsOf(parts.get(k)!)]));
  const byGroup = metricsBy(groups);
  let overall = metricsOf(qs);
  if (meanOfGroups && groups.size > 0) {
    const values = Object.values(byGroup);
    const mean = (f: (m: Metrics) => number) => values.reduce((s, m) => s + f(m), 0) / values.length;
    overall = {
      queries: qs.length,
      hitAt1: mean((m) => m.hitAt1),
      recallAt10: mean((m) => m.recallAt10),
      precisionAt4: mean((m) => m.precisionAt4),
    };
  }
  return {
    overall,
    overallIsMeanOfGroups: meanOfGroups,
    byGroup,
    ...(facets.size > 0 ? { byFacet: metricsBy(facets) } : {}),
    failed: qs.filter((q) => q.error).length,
  };
}

/**
 * Indices of the k largest scores, best first; ties go to the lower index (a stable order, like a
 * sort). `exclude` (the query's own row) is never returned.
 */
export function topK(scores: ArrayLike<number>, k: number, exclude = -1): number[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (i === exclude) continue;
    const s = scores[i];
    if (best.length === k && !(s > scores[best[k - 1]])) continue;
    let at = best.length;
    while (at > 0 && scores[best[at - 1]] < s) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

/** A stable pseudo-random order key for a query. */
function orderKey(q: DevSetQuery, split: string): string {
  return createHash('sha256')
    .update(`${split}\n${q.file ?? q.key}`)
    .digest('hex');
}

/**
 * A deterministic sample of about n queries of a set, spread evenly over the groups (vendors, edits):
 * per group the first ⌈n / groups⌉ in a hash order, so the same n always gives the same queries and a
 * larger n a superset. Undefined n keeps everything.
 */
export function sampleQueries<T extends { query: DevSetQuery; split: string }>(items: T[], n?: number): T[] {
  if (n === undefined || n >= items.length) return items;
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const g = groups.get(it.query.group);
    if (g) g.push(it);
    else groups.set(it.query.group, [it]);
  }
  const per = Math.max(1, Math.ceil(n / groups.size));
  const keep = new Set<T>();
  for (const g of groups.values()) {
    const sorted = g
      .map((it) => ({ it, key: orderKey(it.query, it.split) }))
      .sort((a, b) => byName(a.key, b.key));
    for (const { it } of sorted.slice(0, per)) keep.add(it);
  }
  return items.filter((it) => keep.has(it));
}
