import { describe, expect, it } from 'vitest';
import { entryHash } from './chosenK';

describe('entryHash: the k a history entry shows', () => {
  const chose10 = { k: 10, id: 3 };

  it('a new entry (a link followed, a URL pasted, a first load) keeps the k its URL carries', () => {
    expect(entryHash('#/album/GNOME?k=3', undefined, chose10)).toEqual({
      hash: '#/album/GNOME?k=3',
      seen: 3,
    });
    expect(entryHash('#/search/abc?k=7', undefined, null)).toEqual({ hash: '#/search/abc?k=7', seen: 0 });
  });

  it('an entry shown again after a newer choice takes the chosen k', () => {
    expect(entryHash('#/album/GNOME?k=5', 2, chose10)).toEqual({ hash: '#/album/GNOME?k=10', seen: 3 });
    expect(entryHash('#/album/GNOME?k=5', 0, chose10)).toEqual({ hash: '#/album/GNOME?k=10', seen: 3 });
    // The rest of the page's URL stays: a cut-off, a region.
    expect(entryHash('#/search/abc?k=5&min=any&region=0.1,0.2,0.3,0.4', 2, chose10).hash).toBe(
      '#/search/abc?k=10&min=any&region=0.1,0.2,0.3,0.4',
    );
    expect(entryHash('#/', 2, chose10).hash).toBe('#/?k=10');
  });

  it('an entry that already showed the last choice keeps its k (e.g. a pasted link opened since)', () => {
    expect(entryHash('#/search/abc?k=3', 3, chose10)).toEqual({ hash: '#/search/abc?k=3', seen: 3 });
  });

  it('an entry whose URL already has the chosen k is left as written', () => {
    expect(entryHash('#/album/GNOME?k=10&part=2', 1, chose10)).toEqual({
      hash: '#/album/GNOME?k=10&part=2',
      seen: 3,
    });
  });
});
