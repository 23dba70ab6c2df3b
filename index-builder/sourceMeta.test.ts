import { describe, expect, it } from 'vitest';
import { keysNamingNoImage, parseSourceMeta } from './sourceMeta';

describe('parseSourceMeta', () => {
  it('keeps every field of every key, whatever it is named', () => {
    const meta = parseSourceMeta(
      JSON.parse('{"a/x.png":{"caption":"c","constructor":"k","toString":"t"},"__proto__":{"k":"v"}}'),
    );
    expect([...meta.keys()]).toEqual(['a/x.png', '__proto__']);
    expect(Object.entries(meta.get('a/x.png')!)).toEqual([
      ['caption', 'c'],
      ['constructor', 'k'],
      ['toString', 't'],
    ]);
    expect(meta.get('__proto__')).toEqual({ k: 'v' });
  });

  it('refuses a field named __proto__, which would be lost, naming it and its key', () => {
    expect(() => parseSourceMeta(JSON.parse('{"a/x.png":{"__proto__":"kept?","caption":"c"}}'))).toThrow(
      'lookalike-meta.json: "a/x.png" has a field named "__proto__", which would be lost on its way to the page: rename it',
    );
  });

  it('refuses what is not an object of strings, naming where', () => {
    expect(() => parseSourceMeta([])).toThrow(/must be a JSON object/);
    expect(() => parseSourceMeta({ 'a/x.png': 'c' })).toThrow('"a/x.png" must map to an object of strings');
    expect(() => parseSourceMeta({ 'a/x.png': { n: 1 } })).toThrow('"a/x.png".n must be a string, got 1');
    expect(parseSourceMeta(undefined).size).toBe(0);
  });
});

describe('keysNamingNoImage', () => {
  it('finds the keys that name no file of the source, sorted', () => {
    // JSON.parse, as the sources read the file: in an object literal, __proto__ would not be a key.
    const meta = parseSourceMeta(
      JSON.parse(
        JSON.stringify({
          'b/typo.png': { caption: 'lost' },
          'a/x.png': { caption: 'shown' },
          'a/broken.png': { caption: 'skipped, and reported as such' },
          'A/x.png': { caption: 'not the same album' },
        }).replace('{', '{"__proto__":{"caption":"not a key"},'),
      ),
    );
    expect(keysNamingNoImage(meta, new Set(['a/x.png', 'a/broken.png', 'a/y.png']))).toEqual([
      'A/x.png',
      '__proto__',
      'b/typo.png',
    ]);
    expect(keysNamingNoImage(meta, new Set(meta.keys()))).toEqual([]);
  });
});
