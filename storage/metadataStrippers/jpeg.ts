import { need, latin1, view, payloadHash, tiffOrientation, orientationTiff } from './fileStructure';
import { keptIccProfile } from './iccProfile';

/*
 * A JPEG original without its metadata (index-builder/originalMetadata.ts): the segments that draw the
 * image, JFIF without its thumbnail, the ICC profile (iccProfile.ts) and Adobe's colour transform are kept.
 */

/** Segments that draw the image: SOF0–15 but the reserved JPG (C8), DHT, DAC, SOS, DQT, DNL, DRI, DHP, EXP. */
const isCoding = (marker: number) =>
  (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc8) || (marker >= 0xda && marker <= 0xdf);

const isJfif = (marker: number, body: Uint8Array) => marker === 0xe0 && latin1(body, 0, 5) === 'JFIF\0';
const isIccPart = (marker: number, body: Uint8Array) =>
  marker === 0xe2 && latin1(body, 0, 12) === 'ICC_PROFILE\0';

/** The length of JFIF's own fields: identifier, version, density units, X and Y density, thumbnail size. */
const JFIF_FIELDS = 14;

/**
 * A JFIF APP0 without its thumbnail (up to 255×255 RGB, maybe of the uncropped picture) and whatever
 * follows it: its fields, the thumbnail's size 0×0. Undefined for one too short to be JFIF, which
 * decoders ignore. (An APP0 JFXX, the thumbnail as an extension, is dropped like any other APPn.)
 */
function jfifWithoutThumbnail(body: Uint8Array): Buffer | undefined {
  if (body.length < JFIF_FIELDS) return undefined;
  const fields = Buffer.from(body.subarray(0, JFIF_FIELDS));
  fields[12] = fields[13] = 0;
  return fields;
}

/**
 * The ICC profile's parts (APP2 segments, by where they start) as they are kept: themselves, or with
 * the profile's device tags and unreferenced bytes zeroed (iccProfile.ts), each part as long as it
 * was. Parts that do not make one profile (numbered 1 to n, each once) are not one decoders read, and
 * are dropped (absent from the map).
 */
function keptIccParts(b: Uint8Array): Map<number, Uint8Array> {
  const parts: { start: number; body: Uint8Array }[] = [];
  for (const [marker, start, end] of jpegSegments(b)) {
    const body = b.subarray(start + 4, end);
    if (isIccPart(marker, body)) parts.push({ start, body });
  }
  const kept = new Map<number, Uint8Array>();
  // Each part: "ICC_PROFILE\0", its number (from 1), how many there are, its share of the profile.
  parts.sort((x, y) => x.body[12] - y.body[12]);
  const whole = parts.every(
    (p, i) => p.body.length >= 14 && p.body[12] === i + 1 && p.body[13] === parts.length,
  );
  const profile = whole ? keptIccProfile(Buffer.concat(parts.map((p) => p.body.subarray(14)))) : undefined;
  if (profile === undefined) return kept;
  let at = 0;
  for (const p of parts) {
    const data = profile.subarray(at, at + p.body.length - 14);
    at += data.length;
    kept.set(p.start, Buffer.concat([b.subarray(p.start, p.start + 4 + 14), data]));
  }
  return kept;
}

/**
 * An APPn segment as it is kept, starting at `start`: JFIF (pixel density) without its thumbnail, the
 * ICC profile's parts, Adobe's (the colour transform); undefined for every other.
 */
function keptApp(
  marker: number,
  start: number,
  segment: Uint8Array,
  iccParts: Map<number, Uint8Array>,
): Uint8Array | undefined {
  const body = segment.subarray(4);
  if (isJfif(marker, body)) {
    const fields = jfifWithoutThumbnail(body);
    return fields && jpegSegment(0xe0, fields);
  }
  if (isIccPart(marker, body)) return iccParts.get(start);
  return marker === 0xee && latin1(body, 0, 5) === 'Adobe' ? segment : undefined;
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
  const iccParts = keptIccParts(b);
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
      continue;
    }
    const kept = keptApp(marker, start, b.subarray(start, end), iccParts);
    if (kept !== undefined) {
      out.push(kept);
      changed ||= Buffer.compare(kept, b.subarray(start, end)) !== 0;
    } else {
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
