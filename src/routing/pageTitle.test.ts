import { describe, expect, it } from 'vitest';
import { pageTitle } from './pageTitle';
import { parseHash } from './route';

describe('pageTitle', () => {
  it('names the page', () => {
    const facts = { itemName: 'grin.png', hasAlbum: (a: string) => a === 'Apple' };
    expect(pageTitle(parseHash('#/'), facts)).toBe('Lookalike');
    expect(pageTitle(parseHash('#/album/Apple?k=5'), facts)).toBe('Apple · Lookalike');
    expect(pageTitle(parseHash('#/album/Apple?k=5&part=3'), facts)).toBe('Apple, part 3 · Lookalike');
    expect(pageTitle(parseHash('#/search/abc?k=5'), facts)).toBe('Like grin.png · Lookalike');
    expect(pageTitle(parseHash('#/search/upload?k=5'), facts)).toBe('Your image · Lookalike');
    expect(pageTitle(parseHash('#/duplicates?strictness=similar'), facts)).toBe('Duplicates · Lookalike');
    expect(pageTitle(parseHash('#/nope'), facts)).toBe('Not found · Lookalike');
  });

  it('falls back to the id while the image is being looked up', () => {
    expect(pageTitle(parseHash('#/search/xyz?k=5'))).toBe('Like xyz · Lookalike');
  });

  it('says so when the collection has no such image or album, as the page does', () => {
    expect(pageTitle(parseHash('#/search/ffffffffffff?k=5'), { itemName: null })).toBe(
      'Image not found · Lookalike',
    );
    expect(pageTitle(parseHash('#/album/NoSuchAlbum?k=5'), { hasAlbum: () => false })).toBe(
      'Album not found · Lookalike',
    );
  });
});
