import { describe, expect, it } from 'vitest';
import { pageTitle } from './pageTitle';
import { parseHash } from './route';

const names = (id: string) => (id === 'abc' ? 'grin.png' : undefined);

describe('pageTitle', () => {
  it('names the page', () => {
    expect(pageTitle(parseHash('#/'), names)).toBe('Lookalike');
    expect(pageTitle(parseHash('#/album/Apple?k=5'), names)).toBe('Apple · Lookalike');
    expect(pageTitle(parseHash('#/album/Apple?k=5&part=3'), names)).toBe('Apple, part 3 · Lookalike');
    expect(pageTitle(parseHash('#/search/abc?k=5'), names)).toBe('Like grin.png · Lookalike');
    expect(pageTitle(parseHash('#/search/upload?k=5'), names)).toBe('Your image · Lookalike');
    expect(pageTitle(parseHash('#/duplicates?strictness=similar'), names)).toBe('Duplicates · Lookalike');
    expect(pageTitle(parseHash('#/nope'), names)).toBe('Not found · Lookalike');
  });

  it('falls back to the id for an unknown image', () => {
    expect(pageTitle(parseHash('#/search/xyz?k=5'), names)).toBe('Like xyz · Lookalike');
  });
});
