import { describe, expect, it } from 'vitest';
import {
  buildLabels,
  buildSources,
  checkNamePatterns,
  compileLabelPattern,
  imageLabels,
  labelSource,
  sharedLabels,
  sourced,
} from './imageLabels';

describe('imageLabels', () => {
  it("gives each key the pattern's first group, or its whole match, and none where it does not match", () => {
    const keys = [
      'Smileys/apple_1F600.png',
      'Smileys/google_1F600.png',
      'People/twitter_1F44B-1F3FB.png',
      'notes.png',
    ];
    expect(imageLabels(keys, '_([0-9A-F-]+)\\.png$')).toEqual(['1F600', '1F600', '1F44B-1F3FB', undefined]);
    expect(imageLabels(['shoes/SKU12_front.jpg', 'shoes/SKU12_side.jpg'], 'SKU\\d+')).toEqual([
      'SKU12',
      'SKU12',
    ]);
    // An optional group that took no part in the match gives no label.
    expect(imageLabels(['a/x.png'], 'x(\\d+)?\\.png')).toEqual([undefined]);
  });

  it("takes a build's labels from the pattern, else from the metadata's label fields, else none", () => {
    const keys = ['a/apple_1F600.png', 'a/google_1F600.png', 'b/x.png'];
    const meta = new Map([
      ['a/apple_1F600.png', { vendor: 'apple', label: 'grinning' }],
      ['a/google_1F600.png', { vendor: 'google', label: 'grinning' }],
      ['b/x.png', { vendor: 'x', label: '' }],
    ]);
    expect(buildLabels(keys, '_([0-9A-F]+)\\.png$', meta)).toEqual(['1F600', '1F600', undefined]);
    expect(labelSource('_([0-9A-F]+)\\.png$', meta)).toBe('pattern _([0-9A-F]+)\\.png$');
    expect(buildLabels(keys, undefined, meta)).toEqual(['grinning', 'grinning', undefined]);
    expect(labelSource(undefined, meta)).toBe('metadata label');
    const unlabelled = new Map([['a/apple_1F600.png', { vendor: 'apple' }]]);
    expect(buildLabels(keys, undefined, unlabelled)).toBeUndefined();
    expect(labelSource(undefined, unlabelled)).toBeUndefined();
    expect(sharedLabels(['a', 'a', 'b', undefined, 'c', 'c', 'c'])).toEqual({ images: 5, labels: 2 });
    expect(sharedLabels(undefined)).toBeUndefined();
  });

  it('refuses a pattern that is not a regular expression, is empty or matches every name, naming its flag', () => {
    expect(() => compileLabelPattern('_([0-9')).toThrow(
      /^--label-pattern "_\(\[0-9" is not a regular expression/,
    );
    expect(() => compileLabelPattern('')).toThrow(/must not be empty/);
    expect(() => compileLabelPattern('.*')).toThrow(/matches every name/);
    expect(() => compileLabelPattern('', '--source-pattern')).toThrow(/^--source-pattern must not be empty/);
    expect(() => buildSources(['a/x.png'], '(')).toThrow(
      /^--source-pattern "\(" is not a regular expression/,
    );
  });

  it('fails, naming the name it got stuck on, on a pattern that backtracks catastrophically, instead of hanging', () => {
    // Exponentially many ways to split the a's between the repeats, each tried before giving up: before,
    // it had not finished after minutes.
    const stuck = `x/${'a'.repeat(34)}`;
    const keys = ['x/ab', stuck, 'x/aab'];
    const pattern = '^[^/]+/((a|a)+)+b';
    const message = (flag: string) =>
      `${flag} ${JSON.stringify(pattern)} backtracks catastrophically: matching ${JSON.stringify(stuck)} took over 1 s`;
    expect(() => imageLabels(keys, pattern)).toThrow(message('--label-pattern'));
    expect(() => checkNamePatterns(keys, undefined, pattern)).toThrow(message('--source-pattern'));
    // The names it does not get stuck on still match as before.
    expect(imageLabels(['x/ab', 'x/aab', 'y/c'], pattern)).toEqual(['a', 'aa', undefined]);
  });

  it("takes a build's sources from the source pattern only, and counts them", () => {
    const keys = [
      'Smileys/apple_1F600.png',
      'Smileys/google_1F600.png',
      'People/apple_1F44B.png',
      'notes.png',
    ];
    const sources = buildSources(keys, '/([a-z]+)_');
    expect(sources).toEqual(['apple', 'google', 'apple', undefined]);
    expect(buildSources(keys, undefined)).toBeUndefined();
    expect(sourced(sources, 7)).toEqual({ images: 3, sources: 2, pairs: 7 });
    expect(sourced(sources, undefined)).toEqual({ images: 3, sources: 2 });
    expect(sourced(undefined, 7)).toBeUndefined();
  });
});
