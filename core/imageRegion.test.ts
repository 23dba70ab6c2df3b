import { describe, expect, it } from 'vitest';
import {
  formatRegion,
  MIN_REGION_PIXELS,
  parseRegion,
  RegionFormatError,
  regionFromParam,
  regionPixels,
} from './imageRegion';

describe('parseRegion', () => {
  it('reads four fractions', () => {
    expect(parseRegion('0.25,0.1,0.5,0.4')).toEqual({ x: 0.25, y: 0.1, w: 0.5, h: 0.4 });
    expect(parseRegion(' 0 , 0 , 1 , 1 ')).toEqual({ x: 0, y: 0, w: 1, h: 1 });
  });

  it('clamps a box that reaches outside the image to the part inside', () => {
    expect(parseRegion('-0.5,0.5,1,0.8')).toEqual({ x: 0, y: 0.5, w: 0.5, h: 0.5 });
  });

  it('says what is wrong with malformed text', () => {
    expect(() => parseRegion('0.1,0.2,0.3')).toThrow(/expected x,y,w,h/);
    expect(() => parseRegion('0.1,0.2,,0.3')).toThrow(/expected x,y,w,h/);
    expect(() => parseRegion('a,b,c,d')).toThrow(/must be numbers/);
    expect(() => parseRegion('0.1,0.2,Infinity,0.3')).toThrow(/must be numbers/);
    expect(() => parseRegion('0.1,0.2,0,0.3')).toThrow(/must be positive/);
    expect(() => parseRegion('0.1,0.2,0.5,-0.3')).toThrow(/must be positive/);
    expect(() => parseRegion('1.5,0,0.5,0.5')).toThrow(/outside the image/);
    expect(() => parseRegion('x')).toThrow(RegionFormatError);
  });
});

describe('regionFromParam', () => {
  it('ignores garbage and whole-image boxes: the whole image is searched', () => {
    for (const garbage of [null, undefined, '', 'abc', '1,2,3', '0,0,0,0', '2,2,1,1', '0,0,1,1', '-1,-1,3,3'])
      expect(regionFromParam(garbage)).toBeNull();
  });

  it('keeps a valid box, clamped', () => {
    expect(regionFromParam('0.5,0.5,0.9,0.2')).toEqual({ x: 0.5, y: 0.5, w: 0.5, h: 0.2 });
  });
});

describe('formatRegion', () => {
  it('writes at most four decimals and parses back to the same region', () => {
    const text = formatRegion({ x: 1 / 3, y: 0.1, w: 1 / 3, h: 0.123456 });
    // The far edge is rounded (2/3 → 0.6667), and the width is what lies between the rounded edges.
    expect(text).toBe('0.3333,0.1,0.3334,0.1235');
    expect(formatRegion(parseRegion(text))).toBe(text);
  });

  it('never lets rounding push the far edge past the image', () => {
    const r = parseRegion(formatRegion({ x: 0.66666, y: 0, w: 0.33334, h: 1 }));
    expect(r.x + r.w).toBeLessThanOrEqual(1);
  });
});

describe('regionPixels', () => {
  it('rounds the edges to whole pixels', () => {
    expect(regionPixels({ x: 0.25, y: 0.5, w: 0.5, h: 0.25 }, 400, 200)).toEqual({
      left: 100,
      top: 100,
      width: 200,
      height: 50,
    });
    // 0.1 * 30 = 3.0000000000000004 in floating point; rounding keeps it 3.
    expect(regionPixels({ x: 0.1, y: 0.1, w: 0.7, h: 0.7 }, 30, 30)).toEqual({
      left: 3,
      top: 3,
      width: 21,
      height: 21,
    });
  });

  it('covers the whole image for the whole region', () => {
    expect(regionPixels({ x: 0, y: 0, w: 1, h: 1 }, 641, 479)).toEqual({
      left: 0,
      top: 0,
      width: 641,
      height: 479,
    });
  });

  it('widens a sliver to the minimum around its centre, inside the image', () => {
    expect(regionPixels({ x: 0.5, y: 0.5, w: 0.001, h: 0.001 }, 1000, 1000)).toEqual({
      // Pixel 500 (0.5 to 0.501) is the centre: 500.5 - 8 rounds to 493.
      left: 493,
      top: 493,
      width: MIN_REGION_PIXELS,
      height: MIN_REGION_PIXELS,
    });
    const corner = regionPixels({ x: 0.999, y: 0, w: 0.001, h: 0.001 }, 1000, 1000);
    expect(corner).toEqual({
      left: 1000 - MIN_REGION_PIXELS,
      top: 0,
      width: MIN_REGION_PIXELS,
      height: MIN_REGION_PIXELS,
    });
  });

  it('takes the whole side of an image smaller than the minimum', () => {
    expect(regionPixels({ x: 0.2, y: 0.2, w: 0.1, h: 0.1 }, 10, 100)).toMatchObject({ left: 0, width: 10 });
  });

  it('clamps out-of-range regions and rejects bad sizes', () => {
    expect(regionPixels({ x: -1, y: 0.5, w: 1.5, h: 2 }, 100, 100)).toEqual({
      left: 0,
      top: 50,
      width: 50,
      height: 50,
    });
    expect(() => regionPixels({ x: 0, y: 0, w: 1, h: 1 }, 0, 10)).toThrow(/positive integers/);
    expect(() => regionPixels({ x: 1, y: 0, w: 1, h: 1 }, 10, 10)).toThrow(/outside/);
  });
});
