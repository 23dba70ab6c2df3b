/*
 * Near-duplicate groups from scored pairs by complete-link agglomerative clustering: two groups merge
 * only when every pair across them scores at least the cut-off, so a group's lowest pairwise score
 * (its diameter) never falls below it and unrelated images are never chained together through ones
 * in between (single-link would put A and C together because both resemble B).
 *
 * Only pairs that scored at least the loosest threshold are given; a missing pair counts as "below
 * every threshold", so a group is a clique of the pair graph. The merges form one dendrogram whose
 * heights never increase (complete link has no inversions), so cutting it at a stricter threshold
 * gives exactly what clustering at that threshold would, and stricter groups nest inside looser ones.
 */

/** Pairs of node ids (any order, no self pairs, each pair once) with their similarity scores. */
export interface ScoredPairs {
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  score: ArrayLike<number>;
}

/** Two clusters joined at `score`: each named by its smallest node id at the time. */
export interface Merge {
  a: number;
  b: number;
  score: number;
}

/** A group: its node ids ascending (at least 2) and its lowest pairwise score. */
interface NodeGroup {
  nodes: number[];
  minScore: number;
}

/** The merge order: the higher linkage first, then the smaller a, then the smaller b. */
function comesBefore(s: number, a: number, b: number, t: number, c: number, d: number): boolean {
  if (s !== t) return s > t;
  if (a !== c) return a < c;
  return b < d;
}

/**
 * A max-heap of candidate merges (cluster indices a < b, linkage score) ordered by score, then by a,
 * then by b (deterministic ties), in parallel typed arrays: a component with large clusters pushes
 * hundreds of thousands of them.
 */
class MergeHeap {
  size = 0;
  private score = new Float64Array(1024);
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);

  /** Whether entry i comes before entry j. */
  private before(i: number, j: number): boolean {
    const { score, a, b } = this;
    return comesBefore(score[i], a[i], b[i], score[j], a[j], b[j]);
  }

  private swap(i: number, j: number): void {
    const { score, a, b } = this;
    const s = score[i];
    score[i] = score[j];
    score[j] = s;
    const x = a[i];
    a[i] = a[j];
    a[j] = x;
    const y = b[i];
    b[i] = b[j];
    b[j] = y;
  }

  push(score: number, a: number, b: number): void {
    if (this.size === this.score.length) {
      const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
        const next = make(old.length * 2);
        next.set(old);
        return next;
      };
      this.score = grow(this.score, (n) => new Float64Array(n));
      this.a = grow(this.a, (n) => new Int32Array(n));
      this.b = grow(this.b, (n) => new Int32Array(n));
    }
    let i = this.size++;
    this.score[i] = score;
    this.a[i] = a;
    this.b[i] = b;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Whether the top entry comes before (score, a, b). */
  topBefore(score: number, a: number, b: number): boolean {
    return comesBefore(this.score[0], this.a[0], this.b[0], score, a, b);
  }

  /** Removes the top entry and returns it in `out`. */
  pop(out: { score: number; a: number; b: number }): void {
    out.score = this.score[0];
    out.a = this.a[0];
    out.b = this.b[0];
    const last = --this.size;
    if (last === 0) return;
    this.score[0] = this.score[last];
    this.a[0] = this.a[last];
    this.b[0] = this.b[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < last && this.before(l, best)) best = l;
      if (r < last && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
  }
}

/**
 * The complete-link dendrogram of the pair graph down to `minScore`, merges in the order made (scores
 * non-increasing). Each cluster keeps only neighbours it is completely linked to (every pair across
 * present): merging A and B keeps the neighbours both had, at the lower of the two linkages, because
 * one missing pair rules a neighbour out for good. Cost is about the number of pairs times log of it.
 */
export function completeLinkMerges(pairs: ScoredPairs, minScore: number): Merge[] {
  const n = pairs.a.length;
  if (pairs.b.length !== n || pairs.score.length !== n)
    throw new RangeError('pairs: a, b and score must have the same length');
  for (let p = 0; p < n; p++) {
    const a = pairs.a[p];
    const b = pairs.b[p];
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0)
      throw new RangeError(`pair ${p}: node ids must be non-negative integers`);
    if (a === b) throw new RangeError(`pair ${p}: node ${a} paired with itself`);
    if (Number.isNaN(pairs.score[p])) throw new RangeError(`pair ${p}: score is not a number`);
  }
  // Clusters are indices 0..m-1 of the nodes in ascending id order, so comparing indices compares ids.
  const kept: number[] = [];
  for (let p = 0; p < n; p++) if (pairs.score[p] >= minScore) kept.push(p);
  const nodes = new Set<number>();
  for (const p of kept) nodes.add(pairs.a[p]).add(pairs.b[p]);
  const ids = Float64Array.from(nodes).sort();
  const indexOf = new Map<number, number>();
  ids.forEach((id, i) => indexOf.set(id, i));
  // links[c]: cluster c's completely linked neighbours and their linkage; undefined once merged away.
  const links: (Map<number, number> | undefined)[] = Array.from(ids, () => new Map());
  const pa = new Int32Array(kept.length);
  const pb = new Int32Array(kept.length);
  const ps = new Float64Array(kept.length);
  kept.forEach((p, k) => {
    const x = indexOf.get(pairs.a[p])!;
    const y = indexOf.get(pairs.b[p])!;
    const s = pairs.score[p];
    if (links[x]!.has(y)) throw new RangeError(`pair ${pairs.a[p]}–${pairs.b[p]} is given more than once`);
    links[x]!.set(y, s);
    links[y]!.set(x, s);
    pa[k] = Math.min(x, y);
    pb[k] = Math.max(x, y);
    ps[k] = s;
  });
  // The pairs as given wait in one sorted list (sorting once is cheaper than a heap of all of them);
  // the heap holds only the linkages merges lower. Each step takes whichever comes first in the heap's
  // order, so the merges are those of one heap holding everything. An entry is current while its
  // clusters both exist and are still linked at its score: a linkage only ever falls, so an entry
  // whose linkage is unchanged by a merge is still waiting and needs no copy.
  const initial = Uint32Array.from(kept.keys()).sort((i, j) =>
    i === j ? 0 : comesBefore(ps[i], pa[i], pb[i], ps[j], pa[j], pb[j]) ? -1 : 1,
  );
  let next = 0;
  const heap = new MergeHeap();
  const top = { score: 0, a: 0, b: 0 };
  const merges: Merge[] = [];
  while (next < initial.length || heap.size > 0) {
    if (
      heap.size > 0 &&
      (next === initial.length || heap.topBefore(ps[initial[next]], pa[initial[next]], pb[initial[next]]))
    ) {
      heap.pop(top);
    } else {
      const p = initial[next++];
      top.score = ps[p];
      top.a = pa[p];
      top.b = pb[p];
    }
    const { a, b, score } = top;
    const la = links[a];
    const lb = links[b];
    if (la === undefined || lb === undefined || la.get(b) !== score) continue;
    merges.push({ a: ids[a], b: ids[b], score });
    // The merged cluster keeps the smaller index, a; b is gone. Map entries may be deleted and
    // overwritten while iterating.
    la.delete(b);
    for (const [w, sa] of la) {
      const lw = links[w]!;
      const sb = lb.get(w);
      if (sb === undefined) {
        la.delete(w);
        lw.delete(a);
        continue;
      }
      lw.delete(b);
      if (sb < sa) {
        la.set(w, sb);
        lw.set(a, sb);
        if (a < w) heap.push(sb, a, w);
        else heap.push(sb, w, a);
      }
    }
    for (const w of lb.keys()) if (w !== a) links[w]!.delete(b);
    links[b] = undefined;
  }
  return merges;
}

/**
 * The groups of the dendrogram at `threshold`: the clusters made by the merges scoring at least that.
 * Groups have at least 2 nodes, ascending; minScore is the lowest of their merges, which complete link
 * makes the lowest score between any two of their nodes.
 */
export function cutMerges(merges: readonly Merge[], threshold: number): NodeGroup[] {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    let y = x;
    while (y !== r) {
      const next = parent.get(y)!;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  const lowest = new Map<number, number>();
  for (const m of merges) {
    if (m.score < threshold) continue;
    const ra = find(m.a);
    const rb = find(m.b);
    if (ra === rb) throw new RangeError(`merge ${m.a}–${m.b} joins a cluster with itself`);
    const root = Math.min(ra, rb);
    parent.set(ra, root);
    parent.set(rb, root);
    lowest.set(root, Math.min(m.score, lowest.get(ra) ?? Infinity, lowest.get(rb) ?? Infinity));
  }
  const members = new Map<number, number[]>();
  for (const node of parent.keys()) {
    const r = find(node);
    let list = members.get(r);
    if (list === undefined) members.set(r, (list = []));
    list.push(node);
  }
  return [...members].map(([root, nodes]) => ({
    nodes: nodes.sort((x, y) => x - y),
    minScore: lowest.get(root)!,
  }));
}
