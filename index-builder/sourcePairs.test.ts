import { describe, expect, it } from 'vitest';
import { dense } from './denseKernels';
import { crossSourcePairs } from './sourcePairs';

describe('crossSourcePairs', () => {
  // Six subjects drawn by two sources: each source shifts its drawings along its own axis, so a row's
  // nearest row overall is another subject of its own source, its nearest in the other source its own
  // subject (when that one finds it back).
  const subjects = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0.7, 0.7, 0, 0],
    [-1, 0, 0, 0],
    [0, -1, 0, 0],
    [-0.7, 0.7, 0, 0],
  ];
  const style = (s: number) => (s === 0 ? [0, 0, 3, 0] : [0, 0, 0, 3]);
  const rows = [0, 1].flatMap((s) =>
    subjects.map((v, i) => v.map((x, j) => x + style(s)[j] + 0.01 * ((i * 7 + j * 3 + s) % 5))),
  );
  const sources = rows.map((_, r) => (r < subjects.length ? 'a' : 'b'));
  const projected = dense(Float64Array.from(rows.flat()), rows.length, 4);

  it('pairs each row with its own subject in the other source, never within one source', async () => {
    const pairs = await crossSourcePairs(projected, sources);
    expect(pairs).toEqual(subjects.map((_, i) => [i, i + subjects.length]));
    expect(await crossSourcePairs(projected, sources)).toEqual(pairs);
  });

  it('keeps only mutual pairs: a row whose nearest in another source prefers another row pairs with none', async () => {
    // A third source holds a drawing of subject 0 in a style close to source a's. It is every a row's
    // nearest outside a, and source a's subject 0 is its nearest: that is the one mutual pair. Source
    // b's rows still prefer their own subjects in a, whose choice is now that drawing: they pair with none.
    const extra = [1, 0, 1, 0];
    const all = dense(Float64Array.from([...rows.flat(), ...extra]), rows.length + 1, 4);
    expect(await crossSourcePairs(all, [...sources, 'c'])).toEqual([[0, rows.length]]);
  });

  it('finds nothing in one source, and rejects a source list of another length', async () => {
    expect(
      await crossSourcePairs(
        projected,
        sources.map(() => 'a'),
      ),
    ).toEqual([]);
    await expect(crossSourcePairs(projected, sources.slice(1))).rejects.toThrow(/11 sources for 12 rows/);
  });
});
