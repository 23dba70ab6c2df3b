import { ImageDecodeError } from './decodeImage';

/*
 * Which of the images the builder decodes (sharp: JPEG, PNG, GIF, WebP, AVIF and HEIF, TIFF, SVG) a
 * file can be, told from its first bytes. The pipeline asks this of large files before reading them
 * whole (a photo folder also holds videos of gigabytes, which would otherwise be read into memory four
 * at a time only to be skipped as unsupported); safeOriginal.ts keeps an original as it is only when
 * its bytes start as its format's do.
 */

/** How many leading bytes looksLikeImage needs. */
export const SIGNATURE_BYTES = 64;

/** ISO base media file brands of still images (a video's `ftyp` names mp41, isom, qt…). */
const IMAGE_BRANDS = new Set([
  'avif',
  'avis',
  'MA1A',
  'MA1B',
  'heic',
  'heix',
  'heim',
  'heis',
  'hevc',
  'hevx',
  'mif1',
  'msf1',
]);

function ascii(b: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...b.subarray(at, at + length));
}

/** What the first bytes say a file is, in sharp's format names (`heif` for AVIF and HEIC alike). */
export type SignedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'heif' | 'svg';

export function signedFormat(head: Uint8Array): SignedFormat | undefined {
  const b = head;
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (['GIF87a', 'GIF89a'].includes(ascii(b, 0, 6))) return 'gif';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(ascii(b, 0, 4))) return 'tiff'; // and BigTIFF
  if (ascii(b, 4, 4) === 'ftyp') return IMAGE_BRANDS.has(ascii(b, 8, 4)) ? 'heif' : undefined;
  // SVG: markup, after an optional byte-order mark and white space.
  // The head only: given a whole file, spreading megabytes into fromCharCode overflowed the stack.
  const text = ascii(b, 0, Math.min(b.length, SIGNATURE_BYTES))
    .replace(/^\xef\xbb\xbf/, '')
    .trimStart();
  return text.startsWith('<') ? 'svg' : undefined;
}

export function looksLikeImage(head: Uint8Array): boolean {
  return signedFormat(head) !== undefined;
}

/** Files up to this size are read whole and judged by the decoder; larger ones are looked at first. */
const LOOK_FIRST_ABOVE_BYTES = 16 * 2 ** 20;

/**
 * Why a large file is not worth reading whole, from its size and first bytes (`readHead` gives at
 * least SIGNATURE_BYTES of them); undefined when it may be an image. A video of gigabytes was read
 * into memory (four files at a time) only to be skipped as unsupported. 8 bytes a pixel is a 16-bit
 * RGBA image stored uncompressed: no image within the pixel limit is larger than that.
 */
export async function unfitToRead(
  size: number,
  readHead: () => Promise<Uint8Array>,
  maxPixels: number,
): Promise<ImageDecodeError | undefined> {
  if (size <= LOOK_FIRST_ABOVE_BYTES) return undefined;
  const mb = `${(size / 2 ** 20).toFixed(0)} MB`;
  if (size > maxPixels * 8 + 2 ** 20)
    return new ImageDecodeError(
      'too-large',
      `${mb}: more than an image of ${maxPixels} pixels takes; not read`,
    );
  if (!looksLikeImage(await readHead()))
    return new ImageDecodeError('unsupported', `${mb} and no image format by its first bytes; not read`);
  return undefined;
}
