import { need, latin1, view, payloadHash, tiffOrientation, orientationTiff } from './fileStructure';

/* A JPEG original without its metadata (index-builder/originalMetadata.ts): the segments that draw the image, JFIF, the ICC profile and Adobe's colour transform are kept. */

/** Segments that draw the image: SOF0–15 but the reserved JPG (C8), DHT, DAC, SOS, DQT, DNL, DRI, DHP, EXP. */
const isCoding = (marker: number) =>
  (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc8) || (marker >= 0xda && marker <= 0xdf);

/** The APPn segments kept: JFIF (pixel density), the ICC profile (maybe in parts), Adobe (colour transform). */
function keptApp(marker: number, body: Uint8Array): boolean {
  const id = latin1(body, 0, 12);
  return (
    (marker === 0xe0 && id.startsWith('JFIF\0')) ||
    (marker === 0xe2 && id === 'ICC_PROFILE\0') ||
    (marker === 0xee && id.startsWith('Adobe'))
  );
}

function jpegSegment(marker: number, body: Uint8Array): Buffer {
  need(body.length + 2 <= 0xffff, 'segment size');
  const head = Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
  return Buffer.concat([head, body]);
}

/**
 * A JPEG's markers in order, from the one after SOI to EOI: [marker, start, end]; a scan (SOS) ends
 * after its entropy-coded data. Bytes after EOI are not the image's.
 */
function* jpegSegments(b: Uint8Array): Generator<[number, number, number]> {
  for (let at = 2; ;) {
    need(b[at] === 0xff, 'marker');
    while (b[at + 1] === 0xff) at++; // fill bytes
    const marker = b[at + 1];
    if (marker === 0xd9 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      yield [marker, at, at + 2];
      if (marker === 0xd9) return;
      at += 2;
      continue;
    }
    let end = at + 2 + view(b).getUint16(at + 2);
    need(end <= b.length && end >= at + 4, 'segment length');
    if (marker === 0xda) {
      // The data runs to the next marker: FF not followed by 00 (a stuffed FF) or RSTn.
      for (; ; end += 2) {
        end = b.indexOf(0xff, end);
        need(end >= 0 && end + 1 < b.length, 'scan without end');
        const m = b[end + 1];
        if (m !== 0 && !(m >= 0xd0 && m <= 0xd7)) break;
      }
    }
    yield [marker, at, end];
    at = end;
  }
}

const isAppOrComment = (marker: number) => (marker >= 0xe0 && marker <= 0xef) || marker === 0xfe;

export function stripJpeg(b: Uint8Array, payload: Buffer): Uint8Array {
  const out: Uint8Array[] = [b.subarray(0, 2)];
  let changed = false;
  let recorded = false;
  let exifSeen = false;
  let end = 2;
  for (const [marker, start, segmentEnd] of jpegSegments(b)) {
    end = segmentEnd;
    const body = b.subarray(start + 4, end);
    if (!isAppOrComment(marker)) {
      need(isCoding(marker) || end === start + 2, `marker ${marker.toString(16)}`);
      if (!recorded) {
        // After the APPn segments (JFIF's must come first), before the tables.
        out.push(jpegSegment(0xfe, payload));
        recorded = true;
      }
      out.push(b.subarray(start, end));
    } else if (keptApp(marker, body)) out.push(b.subarray(start, end));
    else {
      changed = true;
      if (marker === 0xe1 && latin1(body, 0, 6) === 'Exif\0\0' && !exifSeen) {
        // The first EXIF segment is the one decoders take the orientation from.
        exifSeen = true;
        const orientation = tiffOrientation(body.subarray(6));
        if (orientation !== 1)
          out.push(jpegSegment(0xe1, Buffer.concat([Buffer.from('Exif\0\0'), orientationTiff(orientation)])));
      }
    }
  }
  // After EOI: a phone's HDR gain map or motion-photo video, each with EXIF and XMP of its own.
  changed ||= end < b.length;
  return changed ? Buffer.concat(out) : b;
}

export function jpegRecord(b: Uint8Array): string | undefined {
  for (const [marker, start, end] of jpegSegments(b)) {
    if (!isAppOrComment(marker)) return undefined;
    const hash = marker === 0xfe ? payloadHash(b.subarray(start + 4, end)) : undefined;
    if (hash !== undefined) return hash;
  }
  return undefined;
}
