import sharp from 'sharp';
import { pngClaimingSize } from './builderFixtures';

/*
 * Small files declaring more pixels than the page decodes, of the kinds an audit found past the page's
 * check (each took Chromium 1.5 GB to decode), for the tests of src/imageFile/declaredSize.ts and
 * decodeUpright.
 */

/** An APPn segment (a kind of metadata JPEGs carry, as EXIF, ICC profiles and XMP are) of 64 KB. */
function appSegment(n: number): Buffer {
  const segment = Buffer.alloc(2 + 65535, 0x41);
  segment.set([0xff, 0xe0 + n]);
  segment.writeUInt16BE(65535, 2);
  return segment;
}

/** Where a JPEG's start-of-frame segment is, walking its segments. */
function startOfFrame(jpeg: Buffer): number {
  for (let at = 2; at < jpeg.length; at += 2 + jpeg.readUInt16BE(at + 2)) {
    const marker = jpeg[at + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return at;
  }
  throw new Error('no start of frame');
}

/**
 * A JPEG of width × height whose frame header follows `metadataSegments` × 64 KB of APPn segments (5:
 * 320 KB, more than the 256 KB the page read) and then `extraneous` bytes, which libjpeg skips with a
 * warning. Its pixels are those of a 16 × 16 image unless width and height are 16.
 */
export async function jpegBehindMetadata(
  width: number,
  height: number,
  { metadataSegments = 5, extraneous = 0 } = {},
): Promise<Buffer> {
  const small = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c44' } })
    .jpeg()
    .toBuffer();
  const jpeg = Buffer.from(small);
  const sof = startOfFrame(jpeg);
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  const segments = Array.from({ length: metadataSegments }, (_, i) => appSegment(i % 16));
  return Buffer.concat([
    jpeg.subarray(0, sof),
    ...segments,
    Buffer.alloc(extraneous, 0x20),
    jpeg.subarray(sof),
  ]);
}

/** A 64-byte 8-bit run-length-compressed BMP of width × height (the audit's), rows bottom-up or top-down. */
export function bmpClaimingSize(width: number, height: number, topDown = false): Buffer {
  const data = [0, 1]; // end of bitmap: every pixel is colour 0
  const offset = 14 + 40 + 2 * 4;
  const b = Buffer.alloc(offset + data.length);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(topDown ? -height : height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(8, 28);
  b.writeUInt32LE(1, 30); // BI_RLE8
  b.writeUInt32LE(data.length, 34);
  b.writeUInt32LE(2, 46); // 2 palette colours
  b.writeUInt32LE(0x00ff0000, 54);
  b.writeUInt32LE(0x000000ff, 58);
  b.set(data, offset);
  return b;
}

/** An icon (or, `type` 2, a cursor) whose entries hold these files, each listed as 32 × 32 px. */
export function icoOf(entries: Buffer[], type: 1 | 2 = 1): Buffer {
  const header = Buffer.alloc(6 + 16 * entries.length);
  header.writeUInt16LE(type, 2);
  header.writeUInt16LE(entries.length, 4);
  let offset = header.length;
  entries.forEach((data, i) => {
    const e = 6 + 16 * i;
    header.set([32, 32], e);
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...entries]);
}

/** An icon whose one entry is a PNG declaring width × height (the directory says 32 × 32). */
export const icoClaimingSize = (width: number, height: number) => icoOf([pngClaimingSize(width, height)]);

/** The top-level boxes of an ISO BMFF file (AVIF, HEIF), each whole. */
function topLevelBoxes(file: Buffer): Buffer[] {
  const boxes: Buffer[] = [];
  for (let at = 0; at < file.length; at += file.readUInt32BE(at))
    boxes.push(file.subarray(at, at + file.readUInt32BE(at)));
  return boxes;
}

/**
 * An AVIF of 64 × 48 px whose image property (ispe) declares width × height; with `metaLast`, its
 * metadata box comes after `padding` bytes of a 'free' box (its image data no longer where it says,
 * which no size check reads).
 */
export async function avifClaimingSize(
  width: number,
  height: number,
  { metaLast = false, padding = 0 } = {},
): Promise<Buffer> {
  const avif = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#48c' } })
    .avif()
    .toBuffer();
  const ispe = avif.indexOf('ispe', 0, 'latin1');
  if (ispe < 0) throw new Error('no ispe box');
  const patched = Buffer.from(avif);
  patched.writeUInt32BE(width, ispe + 8);
  patched.writeUInt32BE(height, ispe + 12);
  if (!metaLast) return patched;
  const boxes = topLevelBoxes(patched);
  const isMeta = (box: Buffer) => box.toString('latin1', 4, 8) === 'meta';
  const free = Buffer.alloc(8 + padding);
  free.writeUInt32BE(free.length);
  free.write('free', 4, 'latin1');
  return Buffer.concat([...boxes.filter((box) => !isMeta(box)), free, ...boxes.filter(isMeta)]);
}

/** A GIF of a 1 × 1 logical screen whose first frame is width × height at left, top (the audit's). */
export function gifFrameBeyondScreen(width: number, height: number, left = 0, top = 0, comment = 0): Buffer {
  const u16 = (n: number) => [n & 0xff, n >> 8];
  const commentBlocks: number[] = [];
  for (let rest = comment; rest > 0; rest -= 255)
    commentBlocks.push(Math.min(rest, 255), ...Array(Math.min(rest, 255)).fill(0x41));
  return Buffer.from([
    ...Buffer.from('GIF89a', 'latin1'),
    ...u16(1),
    ...u16(1),
    0x80,
    0,
    0,
    0,
    0,
    0,
    0xff,
    0xff,
    0xff, // global colour table: black, white
    ...(comment > 0 ? [0x21, 0xfe, ...commentBlocks, 0] : []),
    0x2c,
    ...u16(left),
    ...u16(top),
    ...u16(width),
    ...u16(height),
    0,
    2,
    1,
    0x2c,
    0,
    0x3b, // LZW data, then the trailer
  ]);
}
