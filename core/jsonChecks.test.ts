import { describe, expect, it } from 'vitest';
import { nonEmptyString, relativePath } from './jsonChecks';

const fail = (path: string, message: string): never => {
  throw new Error(`${path} ${message}`);
};
const base = 'https://host/site/data/';

describe('relativePath', () => {
  it.each([
    '../index.html',
    'thumbs/../../index.html',
    '%2e%2e/%2e%2e/index.html',
    '.%2E/index.html',
    '%2E./index.html',
    'thumbs/%2e/x.webp',
    '/index.html',
    'https://elsewhere/x.webp',
    '//elsewhere/x.webp',
    'thumbs//x.webp',
    'thumbs\\..\\x.webp',
    'x.webp?y',
    // A URL parser drops tabs and line breaks: these climb out too.
    '.\t./icon.svg',
    'thumbs/.\n./.\r./x.png',
    'thumbs/x\u0000.webp',
  ])('rejects %s', (p) => {
    expect(() => relativePath(p, 'thumb', fail)).toThrow(/thumb must be a relative path inside the data dir/);
  });

  it.each(['thumbs/00028a7370436f7b.webp', 'a%2ex/b.png', '..a/b.png', 'originals/x..y.png'])(
    'accepts %s, which resolves inside the data dir',
    (p) => {
      expect(relativePath(p, 'thumb', fail)).toBe(p);
      expect(new URL(p, base).href.startsWith(base)).toBe(true);
    },
  );

  it('rejects every path the URL parser resolves outside the data dir (all dot spellings)', () => {
    const spellings = ['.', '..', '%2e', '%2E', '.%2e', '%2e.', '%2e%2E', 'a', '..a', '%2e%2ex'];
    for (const a of spellings)
      for (const b of spellings) {
        const p = `${a}/${b}/x.webp`;
        let accepted = true;
        try {
          relativePath(p, 'thumb', fail);
        } catch {
          accepted = false;
        }
        if (accepted) expect(new URL(p, base).href.startsWith(base), p).toBe(true);
      }
  });
});

describe('nonEmptyString', () => {
  it('takes any well-formed text, astral characters included', () => {
    for (const v of ['Google', 'Smileys & Emotion', '👍🏽 thumbs', 'a\u00e9b'])
      expect(nonEmptyString(v, 'name', fail)).toBe(v);
  });

  it('refuses lone surrogates, which break URLs and the page that renders them', () => {
    for (const v of ['Google\ud800', '\udc00x', 'a\ud83d\ud83db'])
      expect(() => nonEmptyString(v, 'albums[0].name', fail)).toThrow(
        'albums[0].name is not well-formed text (a lone UTF-16 surrogate)',
      );
    expect(() => nonEmptyString('', 'name', fail)).toThrow('name must be a non-empty string');
  });
});
