/*
 * What the metadata strippers (this folder's files, called by index-builder/originalMetadata.ts) and the
 * reader of their record (storage/storedOriginal.ts) share: reading a file's structure, refusing what
 * they do not follow, the record of the source's sha256 and the one EXIF field kept. In storage/ because
 * deploy reads the record.
 */

/** The keyword naming the sha256 of the source a stored original was made from. */
const SOURCE_HASH_KEYWORD = 'lookalike-source-sha256';
/** A structure the stripper does not follow: the file is not stored as it is. */
export class Unfollowed extends Error {}

export function need(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Unfollowed(what);
}

export const latin1 = (b: Uint8Array, at: number, length: number) =>
  Buffer.from(b.buffer, b.byteOffset + at, Math.max(0, Math.min(length, b.length - at))).toString('latin1');
export const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function sourcePayload(sourceHash: string): Buffer {
  return Buffer.from(`${SOURCE_HASH_KEYWORD}\0${sourceHash}`, 'latin1');
}

/** The sha256 a recorded payload names, if `payload` is one. */
export function payloadHash(payload: Uint8Array): string | undefined {
  const [keyword, hash] = latin1(payload, 0, payload.length).split('\0');
  return keyword === SOURCE_HASH_KEYWORD && /^[0-9a-f]{64}$/.test(hash ?? '') ? hash : undefined;
}

/**
 * The Orientation (1–8) in IFD0 of a TIFF structure (EXIF), 1 when absent or out of range (as libvips
 * and browsers read it). A broken IFD0 is not followed: the rendering fallback then applies whatever
 * libvips makes of it, as the thumbnail does.
 */
export function tiffOrientation(t: Uint8Array): number {
  const order = latin1(t, 0, 2);
  need(order === 'II' || order === 'MM', 'EXIF byte order');
  const le = order === 'II';
  const v = view(t);
  need(v.getUint16(2, le) === 42, 'EXIF magic');
  const ifd = v.getUint32(4, le);
  need(ifd >= 8 && ifd + 2 + v.getUint16(ifd, le) * 12 <= t.length, 'EXIF IFD0');
  for (let i = 0; i < v.getUint16(ifd, le); i++) {
    const entry = ifd + 2 + i * 12;
    if (v.getUint16(entry, le) !== 0x0112) continue;
    need(v.getUint16(entry + 2, le) === 3 && v.getUint32(entry + 4, le) === 1, 'EXIF Orientation type');
    const o = v.getUint16(entry + 8, le);
    return o >= 1 && o <= 8 ? o : 1;
  }
  return 1;
}

/** A TIFF structure holding nothing but IFD0's Orientation. */
export function orientationTiff(orientation: number): Buffer {
  // Big-endian header, IFD0 at 8: one entry (Orientation, SHORT, 1 value), no next IFD.
  const tiff = Buffer.from('4d4d002a00000008000101120003000000010000000000000000', 'hex');
  tiff[19] = orientation;
  return tiff;
}
