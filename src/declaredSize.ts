import { gifScreen } from '../core/gifScreen';

/*
 * The pixel size an image file declares in its header (PNG, GIF, JPEG, WebP), read without decoding.
 * When the browser cannot decode a file, this tells "too large for this browser" (Chromium gives up
 * on a 30,000 × 30,000 PNG in milliseconds) from "not an image it reads".
 */

/** Enough for any of these headers, a JPEG's EXIF and ICC segments included. */
export const DECLARED_SIZE_BYTES = 256 * 1024;

export interface DeclaredSize {
  width: number;
  height: number;
}

/** The declared size, and which of these formats declared it. */
export interface DeclaredImage extends DeclaredSize {
  format: 'PNG' | 'GIF' | 'JPEG' | 'WebP';
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

function jpegSize(b: Uint8Array, view: DataView): DeclaredSize | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // Start of frame: baseline, progressive, lossless, arithmetic (not DHT C4, JPG C8, DAC CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    at += 2 + view.getUint16(at + 2);
  }
  return undefined;
}

function webpSize(b: Uint8Array, view: DataView): DeclaredSize | undefined {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X' && b.length >= 30)
    return {
      width: 1 + (view.getUint32(24, true) & 0xffffff),
      height: 1 + (view.getUint32(27, true) & 0xffffff),
    };
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = view.getUint32(21, true);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ' && b.length >= 30)
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  return undefined;
}

/**
 * The declared size (a GIF's: its logical screen, which the browser allocates whatever its frames'
 * sizes), or undefined when the header is not one of these formats or is cut short.
 */
export function declaredSize(b: Uint8Array): DeclaredImage | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const as = (format: DeclaredImage['format'], size: DeclaredSize | undefined) => size && { ...size, format };
  if (b.length >= 24 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR')
    return as('PNG', { width: view.getUint32(16), height: view.getUint32(20) });
  const screen = gifScreen(b);
  if (screen !== undefined) return as('GIF', screen);
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return as('JPEG', jpegSize(b, view));
  if (b.length >= 16 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP')
    return as('WebP', webpSize(b, view));
  return undefined;
}
