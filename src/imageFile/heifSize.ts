import type { BlobReader } from './blobReader';

/*
 * The size an AVIF (or other HEIF) file declares: the 'ispe' property of its image items, and the
 * 'tkhd' size of its tracks (an animated AVIF's frames, which Chromium decodes in place of the still
 * image). Which item is the primary one, or whether the track is used, is left aside: the largest
 * declared size is judged, as none of the others is larger in a real file (thumbnails, alpha planes and
 * a grid's tiles are no larger than the image).
 */

interface Size {
  width: number;
  height: number;
}

/**
 * The boxes looked into, on the way to 'ispe' and 'tkhd': each one's children, after the bytes before
 * them (a full box's version and flags). Nothing else is entered, so no nesting runs deep.
 */
const PATH: Record<string, { skip: number; children: readonly string[] }> = {
  meta: { skip: 4, children: ['iprp'] },
  iprp: { skip: 0, children: ['ipco'] },
  ipco: { skip: 0, children: ['ispe'] },
  moov: { skip: 0, children: ['trak'] },
  trak: { skip: 0, children: ['tkhd'] },
};

/** A box's size (0: to the end of what holds it), type and header length, from its header at `at`. */
function boxHeader(b: Uint8Array, at: number): { size: number; type: string; headerLength: number } {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = String.fromCharCode(...b.subarray(at + 4, at + 8));
  const size = view.getUint32(at);
  if (size !== 1 || b.length < at + 16) return { size, type, headerLength: 8 };
  // A 64-bit size: exact as a number up to 2^53 bytes, more than any file has.
  return { size: view.getUint32(at + 8) * 2 ** 32 + view.getUint32(at + 12), type, headerLength: 16 };
}

/** The size a leaf box's body declares: 'ispe' or 'tkhd'. */
function leafSize(type: string, body: Uint8Array): Size | undefined {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  // Image spatial extents: version and flags, then 32-bit width and height.
  if (type === 'ispe' && body.length >= 12) return { width: view.getUint32(4), height: view.getUint32(8) };
  // Track header: its last 8 bytes, in 16.16 fixed point; version 1 has 64-bit times and duration.
  const at = body[0] === 1 ? 88 : 76;
  if (type === 'tkhd' && body.length >= at + 8)
    return { width: view.getUint32(at) >>> 16, height: view.getUint32(at + 4) >>> 16 };
  return undefined;
}

/** Adds to `into` the sizes declared in `box` (a whole box, header included) and its children. */
function sizesIn(box: Uint8Array, into: Size[]): void {
  const { type, headerLength } = boxHeader(box, 0);
  const body = box.subarray(headerLength);
  const inside = PATH[type];
  if (inside === undefined) {
    const size = leafSize(type, body);
    if (size !== undefined) into.push(size);
    return;
  }
  const children = body.subarray(inside.skip);
  for (let at = 0; at + 8 <= children.length;) {
    const child = boxHeader(children, at);
    const size = child.size === 0 ? children.length - at : child.size;
    if (size < child.headerLength || at + size > children.length) return;
    if (inside.children.includes(child.type)) sizesIn(children.subarray(at, at + size), into);
    at += size;
  }
}

/**
 * The largest size the file's image items and tracks declare, or undefined when it declares none. The
 * top-level boxes are walked through the file (the metadata can follow megabytes of image data), and
 * only 'meta' and 'moov' are read whole.
 */
export async function heifSize(reader: BlobReader): Promise<Size | undefined> {
  const sizes: Size[] = [];
  for (let at = 0; at < reader.size;) {
    const head = await reader.bytes(at, 16);
    if (head.length < 8) break;
    const { size: declared, type, headerLength } = boxHeader(head, 0);
    const size = declared === 0 ? reader.size - at : declared;
    if (size < headerLength) break;
    if (type === 'meta' || type === 'moov') sizesIn(await reader.bytes(at, size), sizes);
    at += size;
  }
  if (sizes.length === 0) return undefined;
  return sizes.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
}
