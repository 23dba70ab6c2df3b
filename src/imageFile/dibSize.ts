/*
 * The size a DIB header declares: the header of a BMP file's pixels (after its 14-byte file header) and
 * of an icon's BMP entries. BMP's run-length compressed pixels make a 64-byte file that declares
 * 20,000² px: Chromium took 1.5 GB to decode one.
 */

/**
 * The width and height of the DIB header at `at` in `b`, or undefined when `b` ends before them or the
 * header's size is none a DIB has. Sides are unsigned: a negative height means rows top-down, and a
 * negative width, which no decoder takes, is judged by its magnitude anyway.
 */
export function dibSize(b: Uint8Array, at: number): { width: number; height: number } | undefined {
  if (b.length < at + 4) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerSize = view.getUint32(at, true);
  // OS/2 1.x (BITMAPCOREHEADER): 16-bit sides.
  if (headerSize === 12)
    return b.length < at + 8
      ? undefined
      : { width: view.getUint16(at + 4, true), height: view.getUint16(at + 6, true) };
  // OS/2 2.x (16 to 64 bytes), BITMAPINFOHEADER (40) and its V2 to V5 (52 to 124): 32-bit sides.
  if (headerSize < 16 || b.length < at + 12) return undefined;
  return { width: Math.abs(view.getInt32(at + 4, true)), height: Math.abs(view.getInt32(at + 8, true)) };
}
