/** One file of a source collection. */
export interface SourceEntry {
  /** Top-level folder (or key prefix) the file is in; files at the root get the source's own name. */
  album: string;
  /** Path inside the album, '/'-separated. */
  path: string;
  /** `album/path`: unique within the source and stable across rebuilds. */
  key: string;
  /** Where the source finds the file: a path under the folder, or an object key. */
  location: string;
  size: number;
  /** Changes whenever the content may have changed: mtime and ctime for folders, ETag for S3. */
  version: string;
  /**
   * When the file last changed (ms since the epoch), where the version is a timestamp that a change
   * within the same clock tick would leave as it is (folders); absent when it is not (S3's ETag).
   */
  modifiedMs?: number;
}

/**
 * Why a listing left out something the collection seems to hold: a symbolic link leading out of the
 * source or round in a loop, a folder that cannot be read, an S3 key that is not a usable path or a
 * file name that is not UTF-8 (`bad-key`), the build's own output folder. Each is reported in build-report.json, never dropped silently.
 */
export type ListingSkipReason =
  'outside-source' | 'symlink-loop' | 'linked-twice' | 'unreadable-folder' | 'bad-key' | 'build-output';

/** Something listed but left out: `key` is `album/path` for a file, `folder/path/` for a folder. */
export interface ListingSkip {
  key: string;
  reason: ListingSkipReason | 'unreadable';
  message: string;
}

export interface SourceListing {
  entries: SourceEntry[];
  /** Size and version of the optional metadata file, so that editing it counts as a change. */
  metaFile?: { size: number; version: string };
  /** What the listing left out and why, sorted by key. */
  skipped: ListingSkip[];
}

export interface ListOptions {
  /** The build's data dir: a folder source inside which it lies leaves it out (and reports that). */
  dataDir?: string;
}

/** Where the builder reads images from. Sources are read-only. */
export interface ImageSource {
  /** For messages, e.g. the folder path or s3:// URL. */
  readonly description: string;
  /** Sorted by key. */
  list(options?: ListOptions): Promise<SourceListing>;
  read(entry: SourceEntry): Promise<Uint8Array>;
  /** The first `bytes` bytes of an entry (fewer when it is shorter), without reading the rest. */
  readHead(entry: SourceEntry, bytes: number): Promise<Uint8Array>;
  /** The parsed metadata file at the source root, or undefined when there is none. */
  readMeta(): Promise<unknown>;
}

/** Optional file at the source root: `{ "<album>/<path>": { "<field>": "<value>", … }, … }`. */
/**
 * A file that is no longer what the listing saw (gone, replaced, grown): a fact about the file, which
 * every reader would meet. Any other read failure (access denied, network) may be the reader's own,
 * and a distributed build lets another worker try (distributed/runBuildJob.ts).
 */
export class SourceChangedError extends Error {
  override name = 'SourceChangedError';
}

export const META_FILE_NAME = 'lookalike-meta.json';

/**
 * Files and folders starting with '.' are never part of a collection (.DS_Store, .git, …), in a folder
 * or under an S3 prefix alike, and are left out without a report (ListingSkip): one by one, a `.git/`
 * would fill build-report.json, and the distributed build's work prefix (`.lookalike-work/`, by default
 * in the source bucket), which every build changes, would change the listing's fingerprint with it.
 */
export function isHidden(name: string): boolean {
  return name.startsWith('.');
}

/** Turns a file's position under the source root into an entry's album and path. */
export function placeInAlbum(
  relative: string,
  rootAlbum: string,
): { album: string; path: string; key: string } {
  const slash = relative.indexOf('/');
  const album = slash < 0 ? rootAlbum : relative.slice(0, slash);
  const path = slash < 0 ? relative : relative.slice(slash + 1);
  return { album, path, key: `${album}/${path}` };
}

export function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
