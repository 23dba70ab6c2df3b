import { describe, expect, it } from 'vitest';
import { formatHash, parseHash, withCutOff, withK, withRegion } from './route';

describe('region= on search pages', () => {
  it('reads a region of an album image and of the own image', () => {
    expect(parseHash('#/search/abc?k=7&region=0.1,0.2,0.3,0.4')).toEqual({
      page: 'search',
      query: { kind: 'id', id: 'abc' },
      k: 7,
      region: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 },
    });
    expect(parseHash('#/search/upload?k=2&region=0,0,0.5,0.5')).toMatchObject({
      query: { kind: 'upload' },
      region: { x: 0, y: 0, w: 0.5, h: 0.5 },
    });
  });

  it('clamps a region reaching outside the image', () => {
    expect(parseHash('#/search/abc?region=0.5,-0.5,1,1')).toMatchObject({
      region: { x: 0.5, y: 0, w: 0.5, h: 0.5 },
    });
  });

  it('ignores garbage and whole-image regions: the whole image is searched', () => {
    for (const bad of ['', 'x', '0.1,0.2,0.3', '0,0,0,0', '5,5,1,1', '0,0,1,1', '%3Cscript%3E'])
      expect(parseHash(`#/search/abc?k=5&region=${bad}`)).toEqual({
        page: 'search',
        query: { kind: 'id', id: 'abc' },
        k: 5,
      });
  });

  it('round-trips through the URL with k and the cut-off', () => {
    const route = parseHash('#/search/abc?k=3&min=similar&region=0.3333,0.25,0.5,0.5');
    expect(formatHash(route)).toBe('#/search/abc?k=3&min=similar&region=0.3333,0.25,0.5,0.5');
    expect(parseHash(formatHash(route))).toEqual(route);
    expect(formatHash(withK(route, 9))).toBe('#/search/abc?k=9&min=similar&region=0.3333,0.25,0.5,0.5');
    expect(formatHash(withCutOff(route, 'loosely-related'))).toBe(
      '#/search/abc?k=3&region=0.3333,0.25,0.5,0.5',
    );
  });

  it('withRegion sets and clears the region of search pages only', () => {
    const plain = parseHash('#/search/abc?k=4');
    const boxed = withRegion(plain, { x: 1 / 3, y: 0, w: 0.5, h: 0.25 });
    expect(formatHash(boxed)).toBe('#/search/abc?k=4&region=0.3333,0,0.5,0.25');
    expect(withRegion(boxed, null)).toEqual(plain);
    const home = parseHash('#/');
    expect(withRegion(home, { x: 0, y: 0, w: 0.5, h: 0.5 })).toBe(home);
  });
});
