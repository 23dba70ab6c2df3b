import { describe, expect, it } from 'vitest';
import {
  applyKeyAction,
  DEFAULT_REGION,
  describeRegion,
  KEY_STEP,
  MIN_DRAWN,
  moveRegion,
  regionFromPoints,
  regionKeyAction,
  resizeRegion,
} from './regionEditing';

describe('regionFromPoints', () => {
  it('spans two points in either order, clamped to the image', () => {
    expect(regionFromPoints({ x: 0.75, y: 0.5 }, { x: 0.25, y: 0.25 })).toEqual({
      x: 0.25,
      y: 0.25,
      w: 0.5,
      h: 0.25,
    });
    expect(regionFromPoints({ x: -0.5, y: 0.5 }, { x: 0.5, y: 1.5 })).toEqual({
      x: 0,
      y: 0.5,
      w: 0.5,
      h: 0.5,
    });
  });

  it('treats a click (or a drag along one edge) as no box', () => {
    expect(regionFromPoints({ x: 0.4, y: 0.4 }, { x: 0.4 + MIN_DRAWN / 2, y: 0.6 })).toBeNull();
    expect(regionFromPoints({ x: 1.2, y: 0.1 }, { x: 1.5, y: 0.9 })).toBeNull();
  });
});

describe('moving and resizing', () => {
  it('moves a box but never past the edges', () => {
    expect(moveRegion({ x: 0.5, y: 0.5, w: 0.25, h: 0.25 }, 0.5, -0.75)).toEqual({
      x: 0.75,
      y: 0,
      w: 0.25,
      h: 0.25,
    });
  });

  it('resizes within the image and above the minimum', () => {
    expect(resizeRegion({ x: 0.5, y: 0.5, w: 0.25, h: 0.25 }, 1, -1)).toEqual({
      x: 0.5,
      y: 0.5,
      w: 0.5,
      h: MIN_DRAWN,
    });
  });
});

describe('regionKeyAction', () => {
  it('maps arrows to moves, Shift+arrows to resizes, Enter and Escape to search and cancel', () => {
    expect(regionKeyAction('ArrowRight', false)).toEqual({ kind: 'move', dx: KEY_STEP, dy: 0 });
    expect(regionKeyAction('ArrowUp', true)).toEqual({ kind: 'resize', dx: 0, dy: -KEY_STEP });
    expect(regionKeyAction('Enter', false)).toEqual({ kind: 'commit' });
    expect(regionKeyAction('Escape', true)).toEqual({ kind: 'cancel' });
    expect(regionKeyAction('a', false)).toBeNull();
  });

  it('edits the default box step by step', () => {
    const moved = applyKeyAction(DEFAULT_REGION, regionKeyAction('ArrowLeft', false)!);
    expect(moved.x).toBeCloseTo(DEFAULT_REGION.x - KEY_STEP, 10);
    const grown = applyKeyAction(moved, regionKeyAction('ArrowDown', true)!);
    expect(grown.h).toBeCloseTo(DEFAULT_REGION.h + KEY_STEP, 10);
    expect(applyKeyAction(grown, { kind: 'commit' })).toBe(grown);
  });
});

describe('describeRegion', () => {
  it('says where the box is, in pixels when the size is known', () => {
    expect(describeRegion({ x: 0.1, y: 0.2, w: 0.5, h: 0.25 })).toBe(
      '50 % × 25 % of the image, 10 % from the left and 20 % from the top',
    );
    expect(describeRegion({ x: 0.1, y: 0.2, w: 0.5, h: 0.25 }, { width: 640, height: 480 })).toMatch(
      /\(320×120 px\)$/,
    );
  });
});
