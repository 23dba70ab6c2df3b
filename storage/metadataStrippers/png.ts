import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { keptIccProfile } from './iccProfile';
import {
  need,
  latin1,
  view,
  sourcePayload,
  payloadHash,
  tiffOrientation,
  orientationTiff,
} from './fileStructure';

/*
 * A PNG original without its metadata (index-builder/originalMetadata.ts): the image's own, colour
 * (the ICC profile as iccProfile.ts keeps it) and animation chunks are kept.
 */

/**
 * The chunks kept: the image's own (IHDR, PLTE, IDAT, IEND, tRNS), colour (cHRM, gAMA, iCCP, sBIT,
 * sRGB, cICP, mDCV, cLLI), background, pixel density, and APNG's animation chunks. Not tEXt, zTXt,
 * iTXt, tIME, eXIf (its orientation is written anew), nor anything unknown.
 */
const PNG_KEPT = new Set([
  ...['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS'],
  ...['cHRM', 'gAMA', 'iCCP', 'sBIT', 'sRGB', 'cICP', 'mDCV', 'cLLI', 'mDCv', 'cLLi'],
  ...['bKGD', 'pHYs', 'acTL', 'fcTL', 'fdAT'],
]);

function pngChunk(type: string, data: Uint8Array): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  chunk.set(data, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/**
 * ICC profiles are a few kB, up to a few MB with large tables, and libpng reads none over 8 MB by
 * default; an iCCP that unpacks to more is not one to unpack (a zlib bomb), and is dropped.
 */
const MAX_ICC_BYTES = 16 << 20;

/**
 * An iCCP chunk's data as it is kept: itself, or its profile with its device tags and unreferenced
 * bytes zeroed (iccProfile.ts), compressed anew under the same name; undefined, so dropped, when it
 * does not hold a profile colour management could read (libpng too then ignores it).
 */
function keptIccp(data: Uint8Array): Uint8Array | undefined {
  const nameEnd = data.indexOf(0);
  // Name (1–79 bytes), NUL, compression method 0 (zlib).
  if (nameEnd < 1 || nameEnd > 79 || data[nameEnd + 1] !== 0) return undefined;
  const compressed = data.subarray(nameEnd + 2);
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // With `info`, how much of the input the stream took (`bytesWritten`): what follows it is not the profile's.
    inflated = inflateSync(compressed, {
      maxOutputLength: MAX_ICC_BYTES,
      info: true,
    }) as unknown as typeof inflated;
  } catch {
    // Not zlib, cut short, or longer than a profile: not one libpng would read either.
    return undefined;
  }
  const profile = inflated.buffer;
  const kept = keptIccProfile(profile);
  if (kept === undefined) return undefined;
  const whole = inflated.engine.bytesWritten === compressed.length;
  return kept === profile && whole ? data : Buffer.concat([data.subarray(0, nameEnd + 2), deflateSync(kept)]);
}

/** A tEXt chunk naming the source: right after IHDR, where pngRecord looks for it. */
export function withSourceText(png: Uint8Array, sourceHash: string): Uint8Array {
  const at = 8 + 25;
  return Buffer.concat([png.subarray(0, at), pngChunk('tEXt', sourcePayload(sourceHash)), png.subarray(at)]);
}

export function stripPng(b: Uint8Array, payload: Buffer): Uint8Array {
  const v = view(b);
  const out: Uint8Array[] = [b.subarray(0, 8)];
  let changed = false;
  let exifSeen = false;
  for (let at = 8; ;) {
    const type = latin1(b, at + 4, 4);
    const end = at + 12 + v.getUint32(at);
    need(end <= b.length && /^[A-Za-z]{4}$/.test(type), 'chunk');
    need(at > 8 || (type === 'IHDR' && end === 8 + 25), 'IHDR first');
    if (type === 'iCCP') {
      const data = b.subarray(at + 8, end - 4);
      const kept = keptIccp(data);
      if (kept !== undefined) out.push(kept === data ? b.subarray(at, end) : pngChunk(type, kept));
      changed ||= kept !== data;
    } else if (PNG_KEPT.has(type)) out.push(b.subarray(at, end));
    else {
      // An unknown critical chunk (upper-case first letter) is one no decoder may skip.
      need(type[0] >= 'a', `critical chunk ${type}`);
      changed = true;
      if (type === 'eXIf' && !exifSeen) {
        exifSeen = true;
        const orientation = tiffOrientation(b.subarray(at + 8, end - 4));
        if (orientation !== 1) out.push(pngChunk('eXIf', orientationTiff(orientation)));
      }
    }
    if (type === 'IHDR') out.push(pngChunk('tEXt', payload));
    at = end;
    if (type === 'IEND') {
      changed ||= at < b.length;
      break;
    }
  }
  return changed ? Buffer.concat(out) : b;
}

export function pngRecord(b: Uint8Array): string | undefined {
  const at = 8 + 25;
  if (latin1(b, at + 4, 4) !== 'tEXt') return undefined;
  return payloadHash(b.subarray(at + 8, at + 8 + view(b).getUint32(at)));
}
