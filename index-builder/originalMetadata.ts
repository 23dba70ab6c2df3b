import { stripAvif } from '../storage/metadataStrippers/avif';
import { Unfollowed, sourcePayload } from '../storage/metadataStrippers/fileStructure';
import { stripGif } from '../storage/metadataStrippers/gif';
import { stripJpeg } from '../storage/metadataStrippers/jpeg';
import { stripPng } from '../storage/metadataStrippers/png';
import { stripWebp } from '../storage/metadataStrippers/webp';

export { withSourceText } from '../storage/metadataStrippers/png';

/*
 * Originals are published as they are, and a photo's file says more than its pixels: EXIF GPS
 * coordinates, camera serials, the owner's name, XMP/IPTC captions, embedded thumbnails of the uncropped
 * picture. withoutMetadata takes all of that out without decoding a pixel: it copies the segments,
 * chunks, blocks or boxes that draw the image and drops the rest. What it keeps is a list of what is
 * needed to show the image as the source shows it (pixels, colour profile and colour transform,
 * animation, orientation); whatever it does not know is dropped, and a structure it cannot follow is
 * not guessed at: the caller then stores a PNG rendering instead (safeOriginal.ts), which holds nothing
 * but pixels. docs/architecture.md "Originals: metadata" lists what is kept per format; each format's
 * stripper is in storage/metadataStrippers/, whose record readers deploy uses too (storage/storedOriginal.ts).
 *
 * A changed file no longer hashes to the source's sha256, so it records that sha256 itself, as the PNG
 * renderings do: `lookalike-source-sha256`, NUL, 64 hex digits, in the format's own comment (JPEG COM,
 * PNG tEXt, GIF comment extension) or in a chunk or box readers skip (a WebP chunk of its own, an AVIF
 * `free` box). It is the only text a stripped original carries, but its colour profile's names (iccProfile.ts).
 */

/**
 * The original to publish for a plain raster (`ext` as stored: jpg, png, gif, webp, avif): `bytes`
 * themselves when they carry no metadata, else a copy without it that records `sourceHash`. Undefined
 * when the file's structure is not followed here (then nothing of it may be published as it is).
 */
export function withoutMetadata(bytes: Uint8Array, ext: string, sourceHash: string): Uint8Array | undefined {
  const strip = STRIPPERS[ext];
  if (strip === undefined) return undefined;
  try {
    return strip(bytes, sourcePayload(sourceHash));
  } catch (err) {
    // DataView reads past the end throw RangeError: a truncated structure.
    if (err instanceof Unfollowed || err instanceof RangeError) return undefined;
    throw err;
  }
}

const STRIPPERS: Record<string, (b: Uint8Array, payload: Buffer) => Uint8Array> = {
  jpg: stripJpeg,
  png: stripPng,
  gif: stripGif,
  webp: stripWebp,
  avif: stripAvif,
};
