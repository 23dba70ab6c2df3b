import { describe, expect, it } from 'vitest';
import { ancestorPrefixes, listingPrefix, objectKey, parseSitePrefix } from './sitePrefix';

describe('parseSitePrefix', () => {
  it('normalises slashes', () => {
    expect(parseSitePrefix(undefined)).toBe('');
    expect(parseSitePrefix('/')).toBe('');
    expect(parseSitePrefix('/sites/demo/')).toBe('sites/demo');
    expect(objectKey('sites/demo', 'index.html')).toBe('sites/demo/index.html');
    expect(objectKey('', 'index.html')).toBe('index.html');
    expect(listingPrefix('app')).toBe('app/');
  });

  it.each(['a//b', '../x', 'a/./b', 'a\\b', 'a\nb', '*', 'sites/*', 'a?c', '${aws:username}'])(
    'rejects %j',
    (bad) => {
      expect(() => parseSitePrefix(bad)).toThrow(/--prefix/);
    },
  );
});

describe('ancestorPrefixes', () => {
  it('lists the bucket root and every parent, not the prefix itself', () => {
    expect(ancestorPrefixes('')).toEqual([]);
    expect(ancestorPrefixes('data')).toEqual(['']);
    expect(ancestorPrefixes('sites/demo/data')).toEqual(['', 'sites', 'sites/demo']);
  });
});
