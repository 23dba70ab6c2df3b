import type { BlobReader } from './blobReader';

/*
 * The size a JPEG declares in its start-of-frame segment, found as libjpeg finds it: segment by segment,
 * each skipped by its length, however far in the file. Metadata before the frame can be any length (a
 * photo's EXIF, ICC profile, XMP and MPF run to hundreds of KB), and a reader that stops early lets a
 * file with 320 KB of it before a 20,000² frame through unchecked.
 */

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;
const RST0 = 0xd0;
const RST7 = 0xd7;

/** Start of frame: baseline, progressive, lossless, hierarchical, arithmetic (not DHT C4, JPG C8, DAC CC). */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/**
 * The next marker at or after `from`, and where its segment starts, or undefined at the file's end. As
 * libjpeg's next_marker: bytes before a 0xFF are skipped (libjpeg warns of "extraneous bytes" and reads
 * on, so a parser that stopped there would miss a frame the browser decodes), as are fill 0xFFs and
 * stuffed 0xFF 0x00 pairs.
 */
async function nextMarker(
  reader: BlobReader,
  from: number,
): Promise<{ marker: number; at: number } | undefined> {
  let afterFF = false;
  for (let at = from; ;) {
    const chunk = await reader.bytes(at, 4096);
    if (chunk.length === 0) return undefined;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (afterFF && byte !== 0 && byte !== 0xff) return { marker: byte, at: at + i + 1 };
      afterFF = byte === 0xff;
    }
    at += chunk.length;
  }
}

/**
 * The size in a JPEG's frame header, the file's first two bytes being its start-of-image marker; or
 * undefined when the file ends, or its image data starts, before one (as libjpeg, which then fails).
 */
export async function jpegSize(reader: BlobReader): Promise<{ width: number; height: number } | undefined> {
  for (let at = 2; ;) {
    const next = await nextMarker(reader, at);
    if (next === undefined) return undefined;
    const { marker } = next;
    at = next.at;
    if (marker === SOI || marker === EOI || marker === SOS) return undefined;
    if (marker === TEM || (marker >= RST0 && marker <= RST7)) continue; // markers without a segment
    const segment = await reader.bytes(at, 7);
    if (isStartOfFrame(marker)) {
      if (segment.length < 7) return undefined;
      return { height: (segment[3] << 8) | segment[4], width: (segment[5] << 8) | segment[6] };
    }
    if (segment.length < 2) return undefined;
    // The length counts its own 2 bytes; libjpeg skips nothing more for a length under 2.
    at += Math.max(2, (segment[0] << 8) | segment[1]);
  }
}
