import { describe, expect, it } from 'vitest';
import { DEFAULT_DIMS, SHARDED_DIMS, WIDE_DIMS } from './assembleIndex';
import { SHARDED_LAYOUT_MIN_IMAGES, withLayoutDims, type PublishSettings } from './publishSettings';

const dimsFor = (s: PublishSettings, count: number) => withLayoutDims(s, count).dims;

describe('withLayoutDims', () => {
  it('gives the resident layout 128 dims (256 from 6,144 images) and the sharded one 96, and keeps dims that were asked for', () => {
    expect(DEFAULT_DIMS).toBe(128);
    expect(WIDE_DIMS).toBe(256);
    expect(SHARDED_DIMS).toBe(96);
    expect(dimsFor({}, 1000)).toBe(DEFAULT_DIMS);
    expect(dimsFor({}, 6143)).toBe(DEFAULT_DIMS);
    expect(dimsFor({}, 6144)).toBe(WIDE_DIMS);
    expect(dimsFor({ layout: 'auto' }, SHARDED_LAYOUT_MIN_IMAGES - 1)).toBe(WIDE_DIMS);
    expect(dimsFor({}, SHARDED_LAYOUT_MIN_IMAGES)).toBe(SHARDED_DIMS);
    expect(dimsFor({ layout: 'sharded' }, 10)).toBe(SHARDED_DIMS);
    expect(dimsFor({ layout: 'resident' }, SHARDED_LAYOUT_MIN_IMAGES)).toBe(WIDE_DIMS);
    expect(withLayoutDims({ layout: 'sharded', dims: 64 }, 10)).toEqual({ layout: 'sharded', dims: 64 });
  });
});
