import { createHash } from 'node:crypto';
/**
 * The names in a data dir that more than one program relies on: the builder writes and garbage-collects
 * them (dataDirWriter.ts), deploy publishes them (deploy/publishedDataSet.ts), readers open the manifest.
 */

/** The entry point; never content-addressed, replaced last by each build. */
export const MANIFEST_FILE = 'manifest.json';

/** Present while a build writes the data dir (it holds the builder's pid). */
export const BUILD_LOCK_FILE = '.build.lock';

/** Where a build writes files before renaming them into place; each build empties it. */
export const STAGING_DIR = '.staging';

/**
 * Written by the first build into a folder before anything else, and kept: it tells later builds that
 * the builder-named files there are their own (storage/dataDirOwnership.ts).
 */
export const DATA_DIR_MARKER = '.lookalike-data-dir';

/**
 * The garbage collector's memory: builder-owned files the current manifest does not reference, kept for
 * readers of the previous build (and deleted by the next build). Private, like build-report.json.
 */
export const RETAINED_FILES = 'retained-files.json';

/**
 * The size of each thumbnail and original as a build wrote or last checked it (storage/mediaSizes.ts),
 * so that the next build finds one damaged since without reading it. Private, like build-report.json.
 */
export const MEDIA_SIZES_FILE = 'media-sizes.json';

export interface RetainedFiles {
  version: 1;
  /** sha256 of the manifest.json these files are not referenced by. */
  manifestSha256: string;
  files: string[];
}

/** Reads RETAINED_FILES; undefined when missing or unreadable (then nothing is known to be retained). */
export function parseRetainedFiles(text: string): RetainedFiles | undefined {
  try {
    const r = JSON.parse(text) as Partial<RetainedFiles>;
    if (r.version === 1 && typeof r.manifestSha256 === 'string' && Array.isArray(r.files)) {
      return { version: 1, manifestSha256: r.manifestSha256, files: r.files.map(String) };
    }
  } catch {
    // unreadable: treated as unknown
  }
  return undefined;
}

/**
 * Every fixed name the builder writes, replaces or deletes at the top of a data dir (its
 * content-addressed names are ownedTopLevel's): the names a folder it did not write must not hold.
 * DataDirWriter replaces no other name, so a new one cannot be left out of this list unnoticed.
 */
export const BUILDER_NAMES: ReadonlySet<string> = new Set([
  MANIFEST_FILE,
  BUILD_LOCK_FILE,
  STAGING_DIR,
  RETAINED_FILES,
  MEDIA_SIZES_FILE,
  'build-report.json',
  'transform-fit.json',
  'source-files.json',
  'source-files.unfinished.json',
  'projections.bin',
  'duplicate-pairs.bin',
  'neighbour-lists.bin',
]);

/** A build's content-addressed files at the top of the data dir (docs/architecture.md "Data dir"). */
const BUILD_FILE =
  /^(index\.[0-9a-f]{16}\.bin|catalog\.[0-9a-f]{16}\.json|model\.[0-9a-f]{16}\.onnx|duplicates\.[0-9a-f]{16}\.json)$/;
/**
 * A build's content-addressed folders of many small files (catalog, duplicate-group and neighbour
 * shards), each named after the hash of all of them.
 */
const BUILD_FOLDER = /^(shards|duplicates|neighbours)\.[0-9a-f]{16}$/;

/** Whether a data-dir path lies in one of a build's content-addressed folders. */
export function inBuildFolder(path: string): boolean {
  const slash = path.indexOf('/');
  return slash > 0 && BUILD_FOLDER.test(path.slice(0, slash));
}

/** Folders of thumbnails and originals, named by image content and shared between builds. */
export const MEDIA_FOLDERS = ['thumbs', 'originals'] as const;

/** The extensions of stored originals (index-builder/safeOriginal.ts makes only these). */
export const ORIGINAL_EXTENSIONS: readonly string[] = ['jpg', 'png', 'gif', 'webp', 'avif'];

/**
 * Every type of file a data dir publishes (JSON, binary index parts, the model, raster images): none is
 * a type a browser runs (HTML, SVG, scripts), so none can run as the site's script from its origin.
 */
const PASSIVE_DATA_FILE = new RegExp(`\\.(json|bin|onnx|webp|jpeg|${ORIGINAL_EXTENSIONS.join('|')})$`, 'i');

/** Whether a data-dir path has a type deploy and serve may publish (see PASSIVE_DATA_FILE). */
export function isPassiveDataFile(path: string): boolean {
  return PASSIVE_DATA_FILE.test(path);
}

/**
 * The names the builder gives thumbnails and originals (index-builder/imagePipeline.ts): only these are
 * its to delete. A folder of the same name can hold the user's own files when `--data-dir` is a folder
 * that was not a data dir before (a photo shoot's `originals/`), and those must survive any build.
 */
const MEDIA_FILE = new RegExp(
  `^(thumbs/[0-9a-f]{16}\\.webp|originals/[0-9a-f]{16}\\.(${ORIGINAL_EXTENSIONS.join('|')}))$`,
);

/**
 * How thumbnails are drawn (index-builder/decodeImage.ts makeThumbnail: size, encoding, colour handling). Deploy serves
 * them as immutable and a build never redraws one it finds, so a change to the drawing gets new names
 * by raising this: 2 when CMYK JPEGs got the browser's colours (BUILDER_FORMAT 13), whose thumbnails
 * under the old names kept the old ones in every data dir and in visitors' caches.
 */
const THUMBNAIL_DRAWING = 2;

/**
 * An image's thumbnail in the data dir: 16 hex digits of a SHA-256 of its content hash (SHA-256) and
 * THUMBNAIL_DRAWING.
 */
export function thumbnailName(contentHash: string): string {
  const name = createHash('sha256').update(`${contentHash} thumbnail ${THUMBNAIL_DRAWING}`).digest('hex');
  return `thumbs/${name.slice(0, 16)}.webp`;
}

/** An image's original in the data dir: the first 16 hex digits of its content hash, its stored format's extension. */
export function originalName(contentHash: string, ext: string): string {
  return `originals/${contentHash.slice(0, 16)}.${ext}`;
}

/** Whether a data-dir path (`thumbs/….webp`) is a thumbnail or original the builder wrote. */
export function ownedMedia(path: string): boolean {
  return MEDIA_FILE.test(path);
}

/**
 * Whether a data-dir path is one a site may serve: the manifest, a build's content-addressed files and
 * folders, and the builder's thumbnails and originals, each of a passive type. Everything else stays
 * private, as deploy keeps it (deploy/publishedDataSet.ts): build-report.json names the source folder
 * and the files it skipped, and the builder's own state (projections, records of source files) and
 * anything else the person keeps there are nobody's business but theirs.
 */
export function isPublicDataPath(path: string): boolean {
  if (!isPassiveDataFile(path)) return false;
  if (path === MANIFEST_FILE || ownedMedia(path)) return true;
  return path.includes('/') ? inBuildFolder(path) : ownedTopLevel(path) === 'file';
}

/** What a top-level name in a data dir is to the builder; undefined: not the builder's (reports, notes). */
export function ownedTopLevel(name: string): 'file' | 'folder' | undefined {
  if (BUILD_FILE.test(name)) return 'file';
  if (BUILD_FOLDER.test(name)) return 'folder';
  return undefined;
}
