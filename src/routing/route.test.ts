import { describe, expect, it } from 'vitest';
import {
  albumHref,
  clampK,
  duplicatesHref,
  formatHash,
  parseHash,
  searchHref,
  uploadHref,
  withCutOff,
  withK,
  withStrictness,
} from './route';

describe('parseHash', () => {
  it('reads the home page with and without a hash', () => {
    expect(parseHash('')).toEqual({ page: 'home', k: 5 });
    expect(parseHash('#/')).toEqual({ page: 'home', k: 5 });
    expect(parseHash('#/?k=8')).toEqual({ page: 'home', k: 8 });
  });

  it('reads an album with an encoded name and k', () => {
    expect(parseHash('#/album/Smileys%20%26%20Emotion?k=7')).toEqual({
      page: 'album',
      album: 'Smileys & Emotion',
      k: 7,
    });
  });

  it('reads and writes the part of a very large album; the first part is the plain album URL', () => {
    expect(parseHash('#/album/a?k=3&part=4')).toEqual({ page: 'album', album: 'a', k: 3, part: 4 });
    expect(albumHref('a', 3, 4)).toBe('#/album/a?k=3&part=4');
    expect(albumHref('a', 3, 1)).toBe('#/album/a?k=3');
    for (const garbage of ['1', '0', '-2', '2.5', 'x', ''])
      expect(parseHash(`#/album/a?k=3&part=${garbage}`)).toEqual({ page: 'album', album: 'a', k: 3 });
    // A k change keeps the part.
    expect(formatHash(withK(parseHash('#/album/a?k=3&part=4'), 7))).toBe('#/album/a?k=7&part=4');
  });

  it('keeps a slash inside an encoded album name', () => {
    expect(parseHash(albumHref('a/b', 3))).toEqual({ page: 'album', album: 'a/b', k: 3 });
  });

  it('reads an id search and the upload search', () => {
    expect(parseHash('#/search/abc123?k=7')).toEqual({
      page: 'search',
      query: { kind: 'id', id: 'abc123' },
      k: 7,
    });
    expect(parseHash('#/search/upload?k=2')).toEqual({ page: 'search', query: { kind: 'upload' }, k: 2 });
  });

  it('clamps k to 1..10 and falls back to 5 on garbage', () => {
    expect(parseHash('#/search/x?k=0').k).toBe(1);
    expect(parseHash('#/search/x?k=99').k).toBe(10);
    expect(parseHash('#/search/x?k=seven').k).toBe(5);
    expect(parseHash('#/search/x?k=').k).toBe(5);
  });

  it('reports unknown and malformed paths as not found', () => {
    expect(parseHash('#/nowhere')).toEqual({ page: 'notFound', path: '/nowhere', k: 5 });
    expect(parseHash('#/album/')).toMatchObject({ page: 'notFound' });
    expect(parseHash('#/album/%E0%A4%A')).toMatchObject({ page: 'notFound' });
    expect(parseHash('#/search/a/b')).toMatchObject({ page: 'notFound' });
  });
});

describe('formatHash', () => {
  it('round-trips every page', () => {
    for (const hash of [
      '#/',
      '#/?k=9',
      albumHref('Animals & Nature', 5),
      searchHref('0f3a9c', 7),
      uploadHref(10),
    ]) {
      expect(formatHash(parseHash(hash))).toBe(hash);
    }
  });

  it('always writes k into album and search URLs', () => {
    expect(albumHref('x', 5)).toBe('#/album/x?k=5');
    expect(searchHref('id', 5)).toBe('#/search/id?k=5');
  });
});

describe('k helpers', () => {
  it('clampK accepts numbers and strings', () => {
    expect(clampK(3)).toBe(3);
    expect(clampK('4')).toBe(4);
    expect(clampK(7.9)).toBe(7);
    expect(clampK(null)).toBe(5);
  });

  it('withK changes only k', () => {
    expect(withK({ page: 'album', album: 'a', k: 5 }, 12)).toEqual({ page: 'album', album: 'a', k: 10 });
  });
});

describe('the results cut-off in search URLs', () => {
  it('reads min=<label> and min=any, and ignores it elsewhere or when unknown', () => {
    expect(parseHash('#/search/abc?k=3&min=similar')).toEqual({
      page: 'search',
      query: { kind: 'id', id: 'abc' },
      k: 3,
      cutOff: 'similar',
    });
    expect(parseHash('#/search/upload?k=3&min=any')).toMatchObject({ cutOff: 'unrelated' });
    expect(parseHash('#/search/abc?k=3&min=bogus')).not.toHaveProperty('cutOff');
    expect(parseHash('#/search/abc?k=3&min=loosely-related')).not.toHaveProperty('cutOff');
    expect(parseHash('#/album/a?k=3&min=similar')).not.toHaveProperty('cutOff');
  });

  it('writes it only when it is not the default, and keeps it across k changes', () => {
    expect(searchHref('abc', 4, 'very-similar')).toBe('#/search/abc?k=4&min=very-similar');
    expect(searchHref('abc', 4, 'unrelated')).toBe('#/search/abc?k=4&min=any');
    expect(searchHref('abc', 4, 'loosely-related')).toBe('#/search/abc?k=4');
    const route = parseHash('#/search/abc?k=4&min=similar');
    expect(formatHash(withK(route, 9))).toBe('#/search/abc?k=9&min=similar');
    expect(formatHash(withCutOff(route, 'loosely-related'))).toBe('#/search/abc?k=4');
    expect(formatHash(withCutOff(route, 'near-identical'))).toBe('#/search/abc?k=4&min=near-identical');
  });
});

describe('the duplicates page', () => {
  it('reads its strictness, falling back to the default when absent or unknown', () => {
    expect(parseHash('#/duplicates')).toEqual({ page: 'duplicates', k: 5, strictness: 'very-similar' });
    expect(parseHash('#/duplicates?strictness=similar&k=3')).toEqual({
      page: 'duplicates',
      k: 3,
      strictness: 'similar',
    });
    expect(parseHash('#/duplicates?strictness=near-identical')).toMatchObject({
      strictness: 'near-identical',
    });
    expect(parseHash('#/duplicates?strictness=loosely-related')).toMatchObject({
      strictness: 'very-similar',
    });
    expect(parseHash('#/duplicates?strictness=')).toMatchObject({ strictness: 'very-similar' });
    expect(parseHash('#/duplicates/x')).toMatchObject({ page: 'notFound' });
  });

  it('writes only what differs from the defaults, and round-trips', () => {
    expect(duplicatesHref(5)).toBe('#/duplicates');
    expect(duplicatesHref(5, 'similar')).toBe('#/duplicates?strictness=similar');
    expect(duplicatesHref(8, 'near-identical')).toBe('#/duplicates?k=8&strictness=near-identical');
    for (const hash of ['#/duplicates', '#/duplicates?strictness=similar', '#/duplicates?k=2'])
      expect(formatHash(parseHash(hash))).toBe(hash);
  });

  it('withStrictness changes only the duplicates page, and k changes keep the strictness', () => {
    const route = parseHash('#/duplicates?strictness=similar');
    expect(formatHash(withStrictness(route, 'very-similar'))).toBe('#/duplicates');
    expect(formatHash(withK(route, 9))).toBe('#/duplicates?k=9&strictness=similar');
    const album = parseHash('#/album/a?k=3');
    expect(withStrictness(album, 'similar')).toBe(album);
  });
});
