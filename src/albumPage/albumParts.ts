/**
 * A very large album is shown in parts. The grid is one element as tall as all its rows, and browsers
 * cap an element's height (Chromium at 33,554,428 px, Firefox near 17.9 M): past that the window
 * cannot scroll, so the last rows of an album of about a million images could never be reached. A
 * part of 100,000 images is at most about 7 M px tall at any grid width of 300 px or more (about 70 px
 * of height per image at worst), and albums up to that size are one part, shown as before.
 */
export const ALBUM_PART_SIZE = 100_000;

export interface AlbumPart {
  /** 1-based. */
  part: number;
  /** How many parts the album has. */
  parts: number;
  /** Position in the album of the part's first image. */
  start: number;
  /** Images in the part. */
  count: number;
}

/** Part `requested` of an album of `count` images; a part past the end is the last one. */
export function albumPart(count: number, requested: number): AlbumPart {
  const parts = Math.max(1, Math.ceil(count / ALBUM_PART_SIZE));
  const part = Math.min(parts, Math.max(1, Math.trunc(requested)));
  const start = (part - 1) * ALBUM_PART_SIZE;
  return { part, parts, start, count: Math.max(0, Math.min(ALBUM_PART_SIZE, count - start)) };
}
