import { gifScreen } from '../../core/gifScreen';
import { BlobReader } from './blobReader';
import { dibSize } from './dibSize';
import { heifSize } from './heifSize';
import { icoSize } from './icoSize';
import { jpegSize } from './jpegSize';

/*
 * The pixel size an image file declares, read without decoding, for each format Chromium decodes
 * (createImageBitmap sniffs PNG, GIF, JPEG, WebP, BMP, ICO/CUR and AVIF; not HEIC, JPEG XL nor TIFF in
 * Chromium 150) and HEIF, which Safari decodes. Decoding a file that declares more pixels than the page
 * allows is refused on this size, since a few bytes can declare gigabytes; and when the browser cannot
 * decode a file, it tells "too large for this browser" from "not an image it reads". The headers are
 * read as far into the file as they lie: a prefix of a fixed length lets a bomb hide behind metadata.
 */

export interface DeclaredSize {
  width: number;
  height: number;
}

export type ImageFormat = 'PNG' | 'GIF' | 'JPEG' | 'WebP' | 'BMP' | 'ICO' | 'CUR' | 'AVIF' | 'HEIF';

/** A file in one of these formats, and the size it declares. */
export interface DeclaredImage {
  format: ImageFormat;
  /**
   * Undefined when the file ends, or is damaged, before a size is declared: then no decoder has a size
   * to decode at either.
   */
  size?: DeclaredSize;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
const startsWith = (b: Uint8Array, bytes: number[]) => bytes.every((byte, i) => b[i] === byte);

/** The first bytes read of any file: every fixed-place header here, and most files' metadata. */
const HEAD_BYTES = 64 * 1024;

function pngSize(b: Uint8Array, view: DataView): DeclaredSize | undefined {
  if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20) };
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
 * The screen a browser allocates for a GIF (core/gifScreen.ts): the first frame can follow extension
 * blocks of any length, so more of the file is read, four times as much each time, until it is found.
 */
async function gifSize(file: Blob, head: Uint8Array): Promise<DeclaredSize | undefined> {
  let screen = gifScreen(head);
  for (let length = head.length; screen?.cutShort && length < file.size;) {
    length *= 4;
    screen = gifScreen(new Uint8Array(await file.slice(0, length).arrayBuffer()));
  }
  return screen && { width: screen.width, height: screen.height };
}

/** The AVIF brands Chromium sniffs, and the other HEIF still-image brands. */
const AVIF_BRANDS = ['avif', 'avis', 'avio'];
const HEIF_BRANDS = ['mif1', 'msf1', 'mif2', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs'];

/** 'AVIF' or 'HEIF' when the file starts with a file type box naming one of their brands. */
function heifFormat(b: Uint8Array): 'AVIF' | 'HEIF' | undefined {
  if (b.length < 16 || ascii(b, 4, 4) !== 'ftyp') return undefined;
  const end = Math.min(b.length, new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0));
  // The major brand, then (after the minor version) the compatible brands.
  const brands = [ascii(b, 8, 4)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(b, at, 4));
  if (brands.some((brand) => AVIF_BRANDS.includes(brand))) return 'AVIF';
  if (brands.some((brand) => HEIF_BRANDS.includes(brand))) return 'HEIF';
  return undefined;
}

/** The format of the file whose first bytes are `b`, as the browser sniffs it, if one of these. */
function formatOf(b: Uint8Array): ImageFormat | undefined {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47])) return 'PNG';
  if (ascii(b, 0, 4) === 'GIF8') return 'GIF';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'JPEG';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'WebP';
  if (ascii(b, 0, 2) === 'BM') return 'BMP';
  if (startsWith(b, [0, 0, 1, 0])) return 'ICO';
  if (startsWith(b, [0, 0, 2, 0])) return 'CUR';
  return heifFormat(b);
}

/**
 * The format of `file` and the size it declares (a GIF's: the screen a browser allocates for it), or
 * undefined when it is in none of these formats.
 */
export async function declaredSize(file: Blob): Promise<DeclaredImage | undefined> {
  const reader = new BlobReader(file);
  const head = await reader.bytes(0, HEAD_BYTES);
  const format = formatOf(head);
  if (format === undefined) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const sizes: Record<ImageFormat, () => Promise<DeclaredSize | undefined> | DeclaredSize | undefined> = {
    PNG: () => pngSize(head, view),
    GIF: () => gifSize(file, head),
    JPEG: () => jpegSize(reader),
    WebP: () => webpSize(head, view),
    BMP: () => dibSize(head, 14),
    ICO: () => icoSize(reader),
    CUR: () => icoSize(reader),
    AVIF: () => heifSize(reader),
    HEIF: () => heifSize(reader),
  };
  const size = await sizes[format]();
  return size === undefined ? { format } : { format, size };
}
