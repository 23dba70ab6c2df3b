import { describe, expect, it } from 'vitest';
import { completeLinkMerges, cutMerges, type Merge, type ScoredPairs } from './duplicateGroups';
import { mulberry32 } from './prng';

function pairs(list: [number, number, number][]): ScoredPairs {
  return { a: list.map((p) => p[0]), b: list.map((p) => p[1]), score: list.map((p) => p[2]) };
}

/** Seeded random pair graph: clusters of near-copies plus noise pairs, scores in [0, 1). */
function randomPairs(seed: number, nodes: number, count: number): [number, number, number][] {
  const next = mulberry32(seed);
  const seen = new Set<number>();
  const out: [number, number, number][] = [];
  while (out.length < count) {
    const a = next() % nodes;
    const b = next() % nodes;
    if (a === b || seen.has(Math.min(a, b) * nodes + Math.max(a, b))) continue;
    seen.add(Math.min(a, b) * nodes + Math.max(a, b));
    out.push([a, b, (next() % 1000) / 1000]);
  }
  return out;
}

describe('completeLinkMerges / cutMerges', () => {
  it('does not chain A and C through B when A and C are not a pair', () => {
    const merges = completeLinkMerges(
      pairs([
        [0, 1, 0.9],
        [1, 2, 0.9],
      ]),
      0.5,
    );
    expect(cutMerges(merges, 0.5)).toEqual([{ nodes: [0, 1], minScore: 0.9 }]);
  });

  it('joins a third image only at a threshold its lowest pair reaches', () => {
    const merges = completeLinkMerges(
      pairs([
        [0, 1, 0.9],
        [1, 2, 0.8],
        [0, 2, 0.55],
        [3, 4, 0.7],
      ]),
      0.5,
    );
    expect(cutMerges(merges, 0.85)).toEqual([{ nodes: [0, 1], minScore: 0.9 }]);
    expect(cutMerges(merges, 0.6)).toEqual([
      { nodes: [0, 1], minScore: 0.9 },
      { nodes: [3, 4], minScore: 0.7 },
    ]);
    expect(cutMerges(merges, 0.5)).toEqual([
      { nodes: [0, 1, 2], minScore: 0.55 },
      { nodes: [3, 4], minScore: 0.7 },
    ]);
  });

  it('ignores pairs below minScore and gives merges in non-increasing score order', () => {
    const list = randomPairs(7, 60, 500);
    const merges = completeLinkMerges(pairs(list), 0.3);
    for (let i = 1; i < merges.length; i++) expect(merges[i].score).toBeLessThanOrEqual(merges[i - 1].score);
    expect(merges.every((m) => m.score >= 0.3)).toBe(true);
  });

  it('gives groups whose every pair is present and scores at least the threshold, nested across thresholds', () => {
    const list = randomPairs(11, 80, 900);
    const score = new Map(list.map(([a, b, s]) => [`${Math.min(a, b)}-${Math.max(a, b)}`, s]));
    const merges = completeLinkMerges(pairs(list), 0.2);
    const thresholds = [0.9, 0.6, 0.2];
    const levels = thresholds.map((t) => cutMerges(merges, t));
    levels.forEach((groups, level) => {
      const seen = new Set<number>();
      for (const g of groups) {
        expect(g.nodes.length).toBeGreaterThanOrEqual(2);
        let lowest = Infinity;
        for (let i = 0; i < g.nodes.length; i++) {
          expect(seen.has(g.nodes[i])).toBe(false);
          seen.add(g.nodes[i]);
          for (let j = i + 1; j < g.nodes.length; j++) {
            const s = score.get(`${g.nodes[i]}-${g.nodes[j]}`);
            expect(s).toBeDefined();
            expect(s!).toBeGreaterThanOrEqual(thresholds[level]);
            lowest = Math.min(lowest, s!);
          }
        }
        expect(g.minScore).toBe(lowest);
      }
    });
    for (let level = 0; level + 1 < levels.length; level++) {
      for (const g of levels[level]) {
        const parent = levels[level + 1].find((p) => p.nodes.includes(g.nodes[0]));
        expect(parent).toBeDefined();
        expect(g.nodes.every((x) => parent!.nodes.includes(x))).toBe(true);
      }
    }
    // Cutting the loose dendrogram is clustering at the stricter threshold directly.
    expect(cutMerges(completeLinkMerges(pairs(list), 0.6), 0.6)).toEqual(levels[1]);
  });

  it('is complete-link: merges the closest clusters first, by their weakest pair', () => {
    // {0,1} at 0.95; {2,3} at 0.9; across them the weakest pair is 0.6 although 1–2 scores 0.92.
    const merges = completeLinkMerges(
      pairs([
        [0, 1, 0.95],
        [2, 3, 0.9],
        [1, 2, 0.92],
        [0, 2, 0.7],
        [0, 3, 0.6],
        [1, 3, 0.8],
      ]),
      0.5,
    );
    expect(merges).toEqual([
      { a: 0, b: 1, score: 0.95 },
      { a: 2, b: 3, score: 0.9 },
      { a: 0, b: 2, score: 0.6 },
    ]);
  });

  it('makes the merges of plain complete-link clustering, ties broken by score, then cluster ids', () => {
    /** Every step: the most similar two clusters (every pair across present), named by their smallest id. */
    const reference = (list: [number, number, number][], minScore: number): Merge[] => {
      const score = new Map(list.map(([a, b, s]) => [`${Math.min(a, b)}-${Math.max(a, b)}`, s]));
      const clusters = [...new Set(list.filter((p) => p[2] >= minScore).flatMap((p) => [p[0], p[1]]))]
        .sort((x, y) => x - y)
        .map((id) => [id]);
      const merges: Merge[] = [];
      for (;;) {
        let best: { score: number; i: number; j: number } | undefined;
        for (let i = 0; i < clusters.length; i++)
          for (let j = i + 1; j < clusters.length; j++) {
            let link = Infinity;
            for (const x of clusters[i])
              for (const y of clusters[j])
                link = Math.min(link, score.get(`${Math.min(x, y)}-${Math.max(x, y)}`) ?? -Infinity);
            if (link < minScore) continue;
            // Clusters stay sorted by their smallest id, so (i, j) order is (a, b) order.
            if (best === undefined || link > best.score) best = { score: link, i, j };
          }
        if (best === undefined) return merges;
        const [a, b] = [clusters[best.i], clusters[best.j]];
        merges.push({ a: a[0], b: b[0], score: best.score });
        a.push(...b);
        clusters.splice(best.j, 1);
      }
    };
    for (const seed of [3, 5, 8]) {
      // Scores in steps of 0.01 over 40 nodes: many ties.
      const list = randomPairs(seed, 40, 300).map(([a, b, s]): [number, number, number] => [
        a,
        b,
        Math.round(s * 100) / 100,
      ]);
      expect(completeLinkMerges(pairs(list), 0.2)).toEqual(reference(list, 0.2));
    }
  });

  it('rejects self pairs, repeated pairs and bad ids', () => {
    expect(() => completeLinkMerges(pairs([[1, 1, 0.9]]), 0)).toThrow(/itself/);
    expect(() =>
      completeLinkMerges(
        pairs([
          [1, 2, 0.9],
          [2, 1, 0.8],
        ]),
        0,
      ),
    ).toThrow(/more than once/);
    expect(() => completeLinkMerges(pairs([[-1, 2, 0.9]]), 0)).toThrow(/non-negative/);
    expect(() => completeLinkMerges({ a: [1], b: [], score: [1] }, 0)).toThrow(/same length/);
  });
});
