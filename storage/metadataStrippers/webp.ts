import { need, latin1, view, payloadHash, tiffOrientation, orientationTiff } from './fileStructure';
import { keptIccProfile } from './iccProfile';

/*
 * A WebP original without its metadata (index-builder/originalMetadata.ts): the image, alpha, animation
 * and colour profile (as iccProfile.ts keeps it) chunks are kept.
 */

/** The RIFF chunk that carries the source's sha256 in a WebP (an unknown chunk, which WebP readers skip). */
const WEBP_SOURCE_CHUNK = 'LKSH';

interface Chunk {
  type: string;
  start: number;
  /** After its padding byte. */
  end: number;
}

function riffChunks(b: Uint8Array, from: number, to: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let at = from; at < to;) {
    const size = view(b).getUint32(at + 4, true);
    const end = at + 8 + size + (size & 1);
    need(end <= to, 'chunk size');
    chunks.push({ type: latin1(b, at, 4), start: at, end });
    at = end;
  }
  return chunks;
}

function riffChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, Buffer.alloc(data.length & 1)]);
}

/** VP8X flags: ICC profile, EXIF and XMP present. */
const WEBP_ICC = 0x20;
const WEBP_EXIF = 0x08;
const WEBP_XMP = 0x04;
const WEBP_IMAGE = new Set(['VP8 ', 'VP8L']);

export function stripWebp(b: Uint8Array, payload: Buffer): Uint8Array {
  const riffEnd = 8 + view(b).getUint32(4, true);
  need(riffEnd <= b.length && latin1(b, 8, 4) === 'WEBP', 'RIFF');
  const chunks = riffChunks(b, 12, riffEnd);
  if (chunks[0]?.type !== 'VP8X') {
    // The simple format: one image chunk, with no room for metadata; anything else is not followed.
    need(chunks.length === 1 && WEBP_IMAGE.has(chunks[0].type) && riffEnd === b.length, 'simple WebP');
    return b;
  }
  let changed = riffEnd < b.length;
  let exif: Buffer | undefined;
  let iccDropped = false;
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    if (c.type === 'ICCP') {
      const profile = b.subarray(c.start + 8, c.start + 8 + view(b).getUint32(c.start + 4, true));
      const kept = keptIccProfile(profile);
      // Not a profile colour management could read: dropped, its flag cleared.
      if (kept !== undefined)
        out.push(kept === profile ? b.subarray(c.start, c.end) : riffChunk('ICCP', kept));
      changed ||= kept !== profile;
      iccDropped ||= kept === undefined;
      continue;
    }
    if (c.type === 'ANMF') {
      // A frame: 16 bytes of placement and timing, then its image chunks.
      for (const sub of riffChunks(b, c.start + 24, c.end))
        need(sub.type === 'ALPH' || WEBP_IMAGE.has(sub.type), `frame chunk ${sub.type}`);
    }
    if (['VP8X', 'ANIM', 'ANMF', 'ALPH', 'VP8 ', 'VP8L'].includes(c.type)) {
      out.push(b.subarray(c.start, c.end));
      continue;
    }
    changed = true;
    if (c.type === 'EXIF' && exif === undefined) {
      // Some writers put JPEG's "Exif\0\0" before the TIFF structure.
      const data = b.subarray(c.start + 8, c.start + 8 + view(b).getUint32(c.start + 4, true));
      const orientation = tiffOrientation(latin1(data, 0, 6) === 'Exif\0\0' ? data.subarray(6) : data);
      exif = orientation !== 1 ? riffChunk('EXIF', orientationTiff(orientation)) : Buffer.alloc(0);
      out.push(exif);
    }
  }
  if (!changed) return b;
  out.push(riffChunk(WEBP_SOURCE_CHUNK, payload));
  const body = Buffer.concat(out);
  body[8] =
    (body[8] & ~(WEBP_EXIF | WEBP_XMP | (iccDropped ? WEBP_ICC : 0))) | (exif?.length ? WEBP_EXIF : 0);
  const head = Buffer.from('RIFF\0\0\0\0WEBP', 'latin1');
  head.writeUInt32LE(4 + body.length, 4);
  return Buffer.concat([head, body]);
}

export function webpRecord(b: Uint8Array): string | undefined {
  const riffEnd = Math.min(b.length, 8 + view(b).getUint32(4, true));
  const last = riffChunks(b, 12, riffEnd).at(-1);
  if (last?.type !== WEBP_SOURCE_CHUNK) return undefined;
  return payloadHash(b.subarray(last.start + 8, last.start + 8 + view(b).getUint32(last.start + 4, true)));
}
