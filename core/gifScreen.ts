/*
 * The screen a browser allocates for a GIF, from its header and first image descriptor. Chromium (Wuffs)
 * allocates the logical screen grown to cover the first frame (its left + width, top + height), whatever
 * the screen declares, while libvips reports the frames it decodes: the page
 * (src/imageFile/declaredSize.ts) and the builder (index-builder/decodeImage.ts) both judge a GIF's size
 * by this screen, so they refuse the same files. A 1 × 1 screen with a 20,000² first frame took Chromium
 * 1.5 GB.
 */

export interface GifSize {
  width: number;
  height: number;
}

export interface GifScreen extends GifSize {
  /** The logical screen the header declares. */
  logical: GifSize;
  /** How far the first frame reaches (its left + width, top + height), when `b` holds its descriptor. */
  firstFrame?: GifSize;
  /**
   * Whether `b` ends before the first frame's descriptor or the file's end: more of the file may grow
   * the screen. Extension blocks (comments, XMP) before the first frame can be any length.
   */
  cutShort: boolean;
}

const EXTENSION = 0x21;
const IMAGE_DESCRIPTOR = 0x2c;

/**
 * The screen a browser allocates for the GIF whose first bytes are `b` (its logical screen, grown to
 * cover the first frame), or undefined when `b` is not a GIF's header or is too short for its screen.
 */
export function gifScreen(b: Uint8Array): GifScreen | undefined {
  if (b.length < 10 || String.fromCharCode(...b.subarray(0, 4)) !== 'GIF8') return undefined;
  const u16 = (at: number) => b[at] | (b[at + 1] << 8);
  const logical = { width: u16(6), height: u16(8) };
  const screen = (firstFrame: GifSize | undefined, cutShort: boolean): GifScreen => ({
    width: Math.max(logical.width, firstFrame?.width ?? 0),
    height: Math.max(logical.height, firstFrame?.height ?? 0),
    logical,
    ...(firstFrame && { firstFrame }),
    cutShort,
  });
  if (b.length < 13) return screen(undefined, true);
  // The global colour table, when the flag is set: 3 × 2^(size + 1) bytes.
  let at = 13 + (b[10] & 0x80 ? 3 << ((b[10] & 7) + 1) : 0);
  while (at < b.length) {
    const block = b[at];
    if (block === IMAGE_DESCRIPTOR) {
      if (at + 9 > b.length) break;
      return screen({ width: u16(at + 1) + u16(at + 5), height: u16(at + 3) + u16(at + 7) }, false);
    }
    // The trailer (0x3B), or a byte no block starts with: a file without frames, which no browser decodes.
    if (block !== EXTENSION) return screen(undefined, false);
    // An extension: its label, then sub-blocks of 1 to 255 bytes, each after its length, up to a 0.
    at += 2;
    while (at < b.length && b[at] !== 0) at += 1 + b[at];
    at++;
  }
  return screen(undefined, true);
}
