import { crc32 } from 'node:zlib';
import {
  need,
  latin1,
  view,
  sourcePayload,
  payloadHash,
  tiffOrientation,
  orientationTiff,
} from './fileStructure';

/* A PNG original without its metadata (index-builder/originalMetadata.ts): the image's own, colour and animation chunks are kept. */

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
    if (PNG_KEPT.has(type)) out.push(b.subarray(at, end));
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
