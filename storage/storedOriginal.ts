import { createHash } from 'node:crypto';
import { originalName } from './dataDirNames';
import { avifRecord } from './metadataStrippers/avif';
import { Unfollowed, latin1 } from './metadataStrippers/fileStructure';
import { gifRecord } from './metadataStrippers/gif';
import { jpegRecord } from './metadataStrippers/jpeg';
import { pngRecord } from './metadataStrippers/png';
import { webpRecord } from './metadataStrippers/webp';

/*
 * How a stored original's name follows from its bytes. The builder names what it stores by it
 * (index-builder/safeOriginal.ts); deploy checks by it that an original holds what its name says before
 * publishing it as immutable (deploy/publishedMedia.ts), and so do the builder's tests
 * (testing/dataDirChecks.ts). One definition, so that the check cannot drift from the naming.
 */

/**
 * How originals are stripped (index-builder/originalMetadata.ts). Deploy serves originals as immutable
 * and a build never rewrites a name it finds, so stripped originals are named apart from the sources
 * they come from, and a change to what is stripped gets new names by raising this (as THUMBNAIL_DRAWING
 * does for thumbnails): originals published with their metadata by builders before it are then replaced.
 * 2 when JFIF thumbnails, GIF plain text and ICC profiles' device tags were taken out (BUILDER_FORMAT 17).
 */
const METADATA_STRIPPING = 2;

/**
 * An image's original in the data dir. With `keepMetadata` it is the source's bytes (or its PNG) under
 * the source's content hash, as builders before stripping named every original; otherwise under a
 * hash of that and METADATA_STRIPPING, so that the two never share a name.
 */
export function storedOriginalName(hash: string, ext: string, keepMetadata: boolean): string {
  if (keepMetadata) return originalName(hash, ext);
  const stripped = createHash('sha256').update(`${hash} original without metadata ${METADATA_STRIPPING}`);
  return originalName(stripped.digest('hex'), ext);
}

/** The source sha256 a stored original records (a copy without metadata, or a PNG rendering), if any. */
export function recordedSourceHash(b: Uint8Array): string | undefined {
  try {
    if (latin1(b, 1, 3) === 'PNG') return pngRecord(b);
    if (b[0] === 0xff && b[1] === 0xd8) return jpegRecord(b);
    if (latin1(b, 0, 3) === 'GIF') return gifRecord(b);
    if (latin1(b, 8, 4) === 'WEBP') return webpRecord(b);
    if (latin1(b, 4, 4) === 'ftyp') return avifRecord(b);
  } catch (err) {
    if (!(err instanceof Unfollowed || err instanceof RangeError)) throw err;
  }
  return undefined;
}

/**
 * Whether `bytes` are what a build stores under the data-dir path `name` (`originals/<16 hex>.<ext>`):
 * named after their own sha256 (the source's bytes as they are), or after the source sha256 they
 * record (a copy without metadata, a PNG rendering), with or without `--keep-metadata`. `sha256` (hex)
 * saves hashing bytes the caller has already hashed. A file cut short after a record near its start
 * (JPEG, PNG, GIF) still passes: its size against media-sizes.json tells (storage/mediaSizes.ts).
 */
export function holdsOriginalNamed(name: string, bytes: Uint8Array, sha256?: string): boolean {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  const namedAfter = (hash: string) =>
    storedOriginalName(hash, ext, false) === name || storedOriginalName(hash, ext, true) === name;
  if (namedAfter(sha256 ?? createHash('sha256').update(bytes).digest('hex'))) return true;
  const recorded = recordedSourceHash(bytes);
  return recorded !== undefined && namedAfter(recorded);
}
