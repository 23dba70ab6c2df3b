import { describe, expect, it } from 'vitest';
import { recallAtK } from './retrievalRecall';

describe('recallAtK', () => {
  it('counts the best k by rank, ties to the lower gallery index, not every item tied with the k-th', async () => {
    const dim = 2;
    // Three gallery items tied for the query; the right one is the last.
    const gallery = { vectors: Float32Array.of(1, 0, 1, 0, 1, 0, 0, 1), labels: ['a', 'b', 'c', 'd'] };
    const query = (label: string) => ({ vectors: Float32Array.of(1, 0), labels: [label] });
    expect(await recallAtK(query('a'), gallery, dim, 1)).toBe(1);
    expect(await recallAtK(query('c'), gallery, dim, 1)).toBe(0);
    expect(await recallAtK(query('c'), gallery, dim, 3)).toBe(1);
    expect(await recallAtK(query('d'), gallery, dim, 3)).toBe(0);
  });
});
