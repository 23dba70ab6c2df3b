/*
 * A region of a query image, and the one place where it becomes pixels. The site
 * (src/imageFile/decodeImage.ts) and `npm run query --region` (index-builder/decodeImage.ts) both crop
 * the rectangle regionPixels() returns from the upright, full-resolution image, so they search the same
 * pixels.
 */

/** A box in fractions of the upright image: 0 ≤ x < x + w ≤ 1, 0 ≤ y < y + h ≤ 1. */
export interface ImageRegion {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An integer pixel rectangle inside a width×height image. */
export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Crops are never smaller than this on a side (unless the image itself is): the model scales its input
 * to 160–224 px, and a sliver of a few pixels says nothing about what is in it.
 */
export const MIN_REGION_PIXELS = 16;

/** Digits kept in URLs: 1/10,000 of a side is below a pixel for images up to 10,000 px. */
const REGION_DIGITS = 4;

export class RegionFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegionFormatError';
  }
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * Reads `x,y,w,h` (fractions of the image). Out-of-range values are clamped to the image; text that is
 * not four numbers, a non-positive width or height, or a box wholly outside the image throws
 * RegionFormatError with the reason.
 */
export function parseRegion(text: string): ImageRegion {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== 4 || parts.some((p) => p === '')) {
    throw new RegionFormatError(
      `expected x,y,w,h (four fractions of the image, e.g. 0.25,0.1,0.5,0.5), got "${text}"`,
    );
  }
  const [x, y, w, h] = parts.map(Number);
  if (![x, y, w, h].every(Number.isFinite)) {
    throw new RegionFormatError(`x,y,w,h must be numbers, got "${text}"`);
  }
  if (w <= 0 || h <= 0) throw new RegionFormatError(`width and height must be positive, got "${text}"`);
  return clampRegion({ x, y, w, h });
}

/** The part of `region` inside the image; throws RegionFormatError when nothing of it is. */
function clampRegion(region: ImageRegion): ImageRegion {
  const left = clamp01(region.x);
  const top = clamp01(region.y);
  const right = clamp01(region.x + region.w);
  const bottom = clamp01(region.y + region.h);
  if (right <= left || bottom <= top) {
    throw new RegionFormatError('the region lies outside the image');
  }
  // A side already inside keeps its exact size (right - left would add floating-point noise).
  const inside = (start: number, size: number) => start >= 0 && start + size <= 1;
  return {
    x: left,
    y: top,
    w: inside(region.x, region.w) ? region.w : right - left,
    h: inside(region.y, region.h) ? region.h : bottom - top,
  };
}

/**
 * A region from a URL parameter: garbage and regions covering the whole image give null (search the
 * whole image), anything else is clamped to the image.
 */
export function regionFromParam(value: string | null | undefined): ImageRegion | null {
  if (value === null || value === undefined) return null;
  try {
    const region = parseRegion(value);
    return isWholeImage(region) ? null : region;
  } catch {
    return null;
  }
}

/** True when the region (as written in URLs) is the whole image. */
function isWholeImage(region: ImageRegion): boolean {
  const r = roundRegion(region);
  return r.x === 0 && r.y === 0 && r.w === 1 && r.h === 1;
}

function round(v: number): number {
  const f = 10 ** REGION_DIGITS;
  return Math.round(v * f) / f;
}

/** The region as the URL and the CLI write it, so a formatted region parses back to itself. */
function roundRegion(region: ImageRegion): ImageRegion {
  const x = round(region.x);
  const y = round(region.y);
  // Rounded edges rather than sizes, so x + w never creeps past 1.
  return { x, y, w: round(round(region.x + region.w) - x), h: round(round(region.y + region.h) - y) };
}

/** `x,y,w,h` with REGION_DIGITS decimals at most, e.g. "0.25,0.1,0.5,0.5". */
export function formatRegion(region: ImageRegion): string {
  const r = roundRegion(region);
  return [r.x, r.y, r.w, r.h].map(String).join(',');
}

/** One side of the crop: rounded edges, widened around their centre to the minimum, kept inside. */
function cropSpan(start: number, size: number, side: number): { start: number; size: number } {
  let a = Math.min(side, Math.max(0, Math.round(start * side)));
  let b = Math.min(side, Math.max(0, Math.round((start + size) * side)));
  const min = Math.min(side, MIN_REGION_PIXELS);
  if (b - a < min) {
    const centre = (a + b) / 2;
    a = Math.max(0, Math.min(side - min, Math.round(centre - min / 2)));
    b = a + min;
  }
  return { start: a, size: b - a };
}

/**
 * The integer pixel rectangle of `region` in an upright width×height image: edges rounded to the nearest
 * pixel, each side at least MIN_REGION_PIXELS (or the whole side of a smaller image), never outside.
 */
export function regionPixels(region: ImageRegion, width: number, height: number): PixelRect {
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new RegionFormatError(`image size must be positive integers, got ${width}×${height}`);
  }
  const r = clampRegion(region);
  const h = cropSpan(r.x, r.w, width);
  const v = cropSpan(r.y, r.h, height);
  return { left: h.start, top: v.start, width: h.size, height: v.size };
}
