import { describe, expect, it } from 'vitest';
import { MAX_QUERY_SIDE, querySize } from './decodeImage';

describe('querySize', () => {
  it('keeps images that already fit', () => {
    expect(querySize(64, 64)).toEqual({ width: 64, height: 64 });
    expect(querySize(MAX_QUERY_SIDE, 10)).toEqual({ width: MAX_QUERY_SIDE, height: 10 });
  });

  it('scales the long side down to MAX_QUERY_SIDE, keeping the aspect ratio', () => {
    expect(querySize(4032, 3024)).toEqual({ width: MAX_QUERY_SIDE, height: 768 });
    expect(querySize(3000, 6000)).toEqual({ width: 512, height: MAX_QUERY_SIDE });
  });

  it('never produces a zero-sized side', () => {
    expect(querySize(100_000, 10)).toEqual({ width: MAX_QUERY_SIDE, height: 1 });
  });
});
