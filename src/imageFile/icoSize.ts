import type { BlobReader } from './blobReader';
import { dibSize } from './dibSize';

/*
 * The size an icon or cursor (ICO, CUR) declares. Its directory gives each entry's size up to 256 px,
 * but an entry holds a whole PNG, whose header can declare any size, or a DIB, whose header can too; and
 * which entry Chromium decodes depends on its ranking of them. So every entry is judged, each by the
 * largest of the sizes it declares: no real icon comes near the limit.
 */

interface Size {
  width: number;
  height: number;
}

const area = (s: Size) => s.width * s.height;
const largest = (sizes: Size[]) => sizes.reduce((a, b) => (area(b) > area(a) ? b : a));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The size in the header of an entry's data: a PNG's IHDR, or a DIB whose height counts its mask too. */
function entryDataSize(b: Uint8Array): Size | undefined {
  if (b.length >= 24 && PNG_SIGNATURE.every((byte, i) => b[i] === byte)) {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  const dib = dibSize(b, 0);
  // The DIB's rows are the image's and then its 1-bit transparency mask's, as many again.
  return dib && { width: dib.width, height: Math.floor(dib.height / 2) };
}

/** The largest size any entry declares, or undefined for a directory without entries. */
export async function icoSize(reader: BlobReader): Promise<Size | undefined> {
  const head = await reader.bytes(0, 6);
  if (head.length < 6) return undefined;
  const count = head[4] | (head[5] << 8);
  const directory = await reader.bytes(6, 16 * count);
  const entries = Math.floor(directory.length / 16);
  if (entries === 0) return undefined;
  const sizes: Size[] = [];
  const offsets = new Set<number>();
  for (let i = 0; i < entries; i++) {
    const e = directory.subarray(16 * i, 16 * i + 16);
    // A side of 0 is 256.
    sizes.push({ width: e[0] || 256, height: e[1] || 256 });
    offsets.add(new DataView(e.buffer, e.byteOffset, 16).getUint32(12, true));
  }
  // Each entry's data is read where the directory says, in the file's order, so that one read of the
  // file serves the entries near each other; an entry whose data lies past the file's end declares only
  // its directory size, and no decoder reads it.
  for (const offset of [...offsets].sort((a, b) => a - b)) {
    const size = entryDataSize(await reader.bytes(offset, 32));
    if (size !== undefined) sizes.push(size);
  }
  return largest(sizes);
}
