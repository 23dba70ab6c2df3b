import { describe, expect, it } from 'vitest';
import { ALBUM_PART_SIZE, albumPart } from './albumParts';

describe('albumPart', () => {
  it('shows an album of up to one part whole', () => {
    expect(albumPart(0, 1)).toEqual({ part: 1, parts: 1, start: 0, count: 0 });
    expect(albumPart(11_000, 1)).toEqual({ part: 1, parts: 1, start: 0, count: 11_000 });
    expect(albumPart(ALBUM_PART_SIZE, 1)).toEqual({ part: 1, parts: 1, start: 0, count: ALBUM_PART_SIZE });
  });

  it('splits a larger album into full parts and a last one with the rest', () => {
    const count = 2 * ALBUM_PART_SIZE + 1_234;
    expect(albumPart(count, 1)).toEqual({ part: 1, parts: 3, start: 0, count: ALBUM_PART_SIZE });
    expect(albumPart(count, 2)).toEqual({
      part: 2,
      parts: 3,
      start: ALBUM_PART_SIZE,
      count: ALBUM_PART_SIZE,
    });
    expect(albumPart(count, 3)).toEqual({ part: 3, parts: 3, start: 2 * ALBUM_PART_SIZE, count: 1_234 });
  });

  it('clamps a part the album does not have (an old link, a shrunk album)', () => {
    const count = ALBUM_PART_SIZE + 5;
    expect(albumPart(count, 9)).toEqual({ part: 2, parts: 2, start: ALBUM_PART_SIZE, count: 5 });
    expect(albumPart(count, 0)).toMatchObject({ part: 1, start: 0 });
    expect(albumPart(count, 1.7)).toMatchObject({ part: 1 });
  });

  it('every image is in exactly one part', () => {
    const count = 3 * ALBUM_PART_SIZE - 1;
    const { parts } = albumPart(count, 1);
    let next = 0;
    for (let p = 1; p <= parts; p++) {
      const part = albumPart(count, p);
      expect(part.start).toBe(next);
      next += part.count;
    }
    expect(next).toBe(count);
  });
});
