import { describe, expect, it } from 'vitest';
import { matchEach, SlowMatchError } from './boundedMatch';

describe('matchEach', () => {
  it('matches every key as re.exec does, also when the keys together take longer than the bound', () => {
    // 60 keys of 25 ms each take 1.5 s together: the first run must be stopped at its 1 s bound, and
    // resumed where it stopped.
    const keys = Array.from({ length: 60 }, (_, i) => `album/img_${i}.png`);
    const calls = new Map<string, number>();
    const re = /_(\d+)\.png$/u;
    const exec = re.exec.bind(re);
    re.exec = (key: string) => {
      calls.set(key, (calls.get(key) ?? 0) + 1);
      const until = performance.now() + 25;
      while (performance.now() < until);
      return exec(key);
    };
    expect(matchEach(re, keys, (m) => m?.[1], 1000)).toEqual(keys.map((_, i) => String(i)));
    // Only the key being matched when the bound struck is matched again.
    expect([...calls.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(1);
    expect([...calls.values()].every((n) => n <= 2)).toBe(true);
  });

  it('names the key that alone takes longer than the bound', () => {
    const keys = ['a/b', `a/${'a'.repeat(40)}`, 'a/c'];
    let thrown: unknown;
    try {
      matchEach(/^a\/((a|a)+)+b/u, keys, (m) => m, 200);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SlowMatchError);
    expect((thrown as SlowMatchError).key).toBe(keys[1]);
  });

  it('passes on what the pattern throws', () => {
    const re = /x/u;
    re.exec = () => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    expect(() => matchEach(re, ['x'], (m) => m)).toThrow(RangeError);
  });
});
