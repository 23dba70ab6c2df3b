import { regionPixels, type ImageRegion } from '../../../core/imageRegion';

/*
 * How a box is drawn, moved and resized on the query image, in fractions of the image (the URL's
 * units). Pure, so pointer and keyboard editing share it and tests need no browser.
 */

/** The box the keyboard starts from: the middle quarter of the image. */
export const DEFAULT_REGION: ImageRegion = { x: 0.25, y: 0.25, w: 0.5, h: 0.5 };
/** A drag shorter than this (fraction of a side) is a click, not a box. */
export const MIN_DRAWN = 0.02;
/** One arrow key press moves or resizes by this fraction of the image. */
export const KEY_STEP = 0.02;

export interface Point {
  x: number;
  y: number;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The box spanned by two points of a drag (in any order), clamped to the image; null for a click. */
export function regionFromPoints(a: Point, b: Point): ImageRegion | null {
  const x0 = clamp(Math.min(a.x, b.x), 0, 1);
  const x1 = clamp(Math.max(a.x, b.x), 0, 1);
  const y0 = clamp(Math.min(a.y, b.y), 0, 1);
  const y1 = clamp(Math.max(a.y, b.y), 0, 1);
  if (x1 - x0 < MIN_DRAWN || y1 - y0 < MIN_DRAWN) return null;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The box moved by (dx, dy), its size kept, stopped at the image's edges. */
export function moveRegion(r: ImageRegion, dx: number, dy: number): ImageRegion {
  return { ...r, x: clamp(r.x + dx, 0, 1 - r.w), y: clamp(r.y + dy, 0, 1 - r.h) };
}

/** The box grown (or shrunk) by (dw, dh) from its top-left corner, between MIN_DRAWN and the image's edges. */
export function resizeRegion(r: ImageRegion, dw: number, dh: number): ImageRegion {
  return { ...r, w: clamp(r.w + dw, MIN_DRAWN, 1 - r.x), h: clamp(r.h + dh, MIN_DRAWN, 1 - r.y) };
}

export type RegionKeyAction =
  { kind: 'move' | 'resize'; dx: number; dy: number } | { kind: 'commit' } | { kind: 'cancel' };

const ARROWS: Record<string, Point> = {
  ArrowLeft: { x: -1, y: 0 },
  ArrowRight: { x: 1, y: 0 },
  ArrowUp: { x: 0, y: -1 },
  ArrowDown: { x: 0, y: 1 },
};

/** What a key does while a box is being edited: arrows move, Shift+arrows resize, Enter searches, Escape cancels. */
export function regionKeyAction(key: string, shift: boolean): RegionKeyAction | null {
  if (key === 'Enter') return { kind: 'commit' };
  if (key === 'Escape') return { kind: 'cancel' };
  const arrow = ARROWS[key];
  if (!arrow) return null;
  return { kind: shift ? 'resize' : 'move', dx: arrow.x * KEY_STEP, dy: arrow.y * KEY_STEP };
}

/** Applies a move or resize action. */
export function applyKeyAction(r: ImageRegion, action: RegionKeyAction): ImageRegion {
  if (action.kind === 'move') return moveRegion(r, action.dx, action.dy);
  if (action.kind === 'resize') return resizeRegion(r, action.dx, action.dy);
  return r;
}

const percent = (v: number): string => `${Math.round(v * 100)} %`;

/**
 * The box in words for the live status: size and position in percent of the image, and in pixels when
 * the image's size is known (the crop core/imageRegion.ts makes of it).
 */
export function describeRegion(r: ImageRegion, size?: { width: number; height: number }): string {
  const where = `${percent(r.w)} × ${percent(r.h)} of the image, ${percent(r.x)} from the left and ${percent(r.y)} from the top`;
  if (!size) return where;
  const px = regionPixels(r, size.width, size.height);
  return `${where} (${px.width}×${px.height} px)`;
}
