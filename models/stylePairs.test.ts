import { describe, expect, it } from 'vitest';
import { pairByCode, pairCode } from './stylePairs';

const art = (name: string) => ({ code: pairCode(name), read: () => Promise.resolve(Buffer.from(name)) });

describe('style pairs', () => {
  it('names an emoji as both vendors do: lower case, without the presentation selector', () => {
    expect(pairCode('img/64/1F468-200D-2695-FE0F.png')).toBe('1f468-200d-2695');
    expect(pairCode('1f468-200d-2695-fe0f.svg')).toBe('1f468-200d-2695');
    expect(pairCode('2764.svg')).toBe('2764');
  });

  it('pairs the codes both vendors draw, each vendor’s first file for a code, in code order', async () => {
    const pairs = pairByCode(
      [art('2764.png'), art('1f600.png'), art('2764-fe0f.png'), art('1f4a9.png')],
      [art('1f600.svg'), art('2764-fe0f.svg'), art('1f436.svg')],
    );
    const names = await Promise.all(
      pairs.map(async ([x, y]) => [String(await x.read()), String(await y.read())]),
    );
    expect(names).toEqual([
      ['1f600.png', '1f600.svg'],
      ['2764.png', '2764-fe0f.svg'],
    ]);
  });
});
