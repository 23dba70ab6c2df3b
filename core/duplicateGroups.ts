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
export interface NodeGroup {
  nodes: number[];
  minScore: number;
}

/** A max-heap of candidate merges ordered by score, then by the cluster ids (deterministic ties). */
class MergeHeap {
  private readonly items: { score: number; a: number; b: number; va: number; vb: number }[] = [];

  get size(): number {
    return this.items.length;
  }

  static before(
    x: { score: number; a: number; b: number },
    y: { score: number; a: number; b: number },
  ): boolean {
    if (x.score !== y.score) return x.score > y.score;
    if (x.a !== y.a) return x.a < y.a;
    return x.b < y.b;
  }

  push(item: { score: number; a: number; b: number; va: number; vb: number }): void {
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!MergeHeap.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  peek(): { score: number; a: number; b: number; va: number; vb: number } | undefined {
    return this.items[0];
  }

  pop(): { score: number; a: number; b: number; va: number; vb: number } | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && MergeHeap.before(h[l], h[best])) best = l;
        if (r < h.length && MergeHeap.before(h[r], h[best])) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best], h[i]];
        i = best;
      }
    }
    return top;
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
  const links = new Map<number, Map<number, number>>();
  const linksOf = (id: number) => {
    let m = links.get(id);
    if (m === undefined) links.set(id, (m = new Map()));
    return m;
  };
  for (let p = 0; p < n; p++) {
    const a = pairs.a[p];
    const b = pairs.b[p];
    const s = pairs.score[p];
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0)
      throw new RangeError(`pair ${p}: node ids must be non-negative integers`);
    if (a === b) throw new RangeError(`pair ${p}: node ${a} paired with itself`);
    if (Number.isNaN(s)) throw new RangeError(`pair ${p}: score is not a number`);
    if (s < minScore) continue;
    if (linksOf(a).has(b)) throw new RangeError(`pair ${a}–${b} is given more than once`);
    linksOf(a).set(b, s);
    linksOf(b).set(a, s);
  }
  // Versions invalidate heap entries of clusters that have changed since they were pushed.
  const version = new Map<number, number>();
  // The pairs as given wait in one sorted list (sorting once is cheaper than a heap of all of them);
  // the heap holds only the linkages merges make. Each step takes whichever comes first in the heap's
  // order, so the merges are those of one heap holding everything.
  const initial: { score: number; a: number; b: number; va: number; vb: number }[] = [];
  for (const [a, m] of links)
    for (const [b, s] of m) if (a < b) initial.push({ score: s, a, b, va: 0, vb: 0 });
  initial.sort((x, y) => (MergeHeap.before(x, y) ? -1 : MergeHeap.before(y, x) ? 1 : 0));
  let next = 0;
  const heap = new MergeHeap();
  const merges: Merge[] = [];
  while (next < initial.length || heap.size > 0) {
    const fromHeap = heap.peek();
    const top =
      fromHeap !== undefined && (next === initial.length || MergeHeap.before(fromHeap, initial[next]))
        ? heap.pop()!
        : initial[next++];
    const { a, b } = top;
    if ((version.get(a) ?? 0) !== top.va || (version.get(b) ?? 0) !== top.vb) continue;
    const la = links.get(a);
    const lb = links.get(b);
    if (la === undefined || lb === undefined || !la.has(b)) continue;
    merges.push({ a, b, score: top.score });
    // The merged cluster keeps the smaller id, a; b is gone.
    const merged = new Map<number, number>();
    for (const [w, sa] of la) {
      if (w === b) continue;
      const sb = lb.get(w);
      const lw = links.get(w)!;
      lw.delete(a);
      lw.delete(b);
      if (sb === undefined) continue;
      const s = Math.min(sa, sb);
      merged.set(w, s);
      lw.set(a, s);
    }
    for (const w of lb.keys()) if (w !== a && !la.has(w)) links.get(w)!.delete(b);
    links.delete(b);
    version.set(b, -1);
    const va = (version.get(a) ?? 0) + 1;
    version.set(a, va);
    links.set(a, merged);
    for (const [w, s] of merged) {
      const vw = version.get(w) ?? 0;
      heap.push(a < w ? { score: s, a, b: w, va, vb: vw } : { score: s, a: w, b: a, va: vw, vb: va });
    }
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
