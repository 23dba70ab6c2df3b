import { describe, expect, it } from 'vitest';
import { mulberry32 } from './prng';
import { TopK } from './topK';

describe('TopK', () => {
  it('keeps the k best (score desc, then row asc) whatever the push order', () => {
    const next = mulberry32(3);
    for (const k of [1, 2, 5, 10, 50]) {
      // Few distinct scores, so ties are frequent.
      const items = Array.from({ length: 300 }, (_, row) => ({ row, score: (next() % 20) / 10 - 1 }));
      const shuffled = [...items].sort(() => (next() & 1 ? 1 : -1));
      const top = new TopK(k);
      for (const { row, score } of shuffled) if (top.accepts(row, score)) top.push(row, score);
      const expected = [...items].sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
      expect(top.sorted()).toEqual(expected);
    }
  });

  it('returns fewer hits when fewer were pushed', () => {
    const top = new TopK(5);
    top.push(3, 0.5);
    top.push(1, 0.9);
    expect(top.sorted()).toEqual([
      { row: 1, score: 0.9 },
      { row: 3, score: 0.5 },
    ]);
  });

  it('rejects a non-positive capacity', () => {
    expect(() => new TopK(0)).toThrow(/capacity/);
  });
});
