/*
 * Every data file names its format version. A reader that meets a version above the newest it knows is
 * older than the builder that wrote the file: the site was rebuilt by a newer Lookalike while this app
 * (an open tab, or a shell a service worker kept) still runs. That is not a broken file, and the page
 * acts on it by loading the site's newer app (src/siteUpdate.ts), so it has its own error name, which
 * survives structured cloning and comlink (docs/index-format.md#versions-newer-than-the-reader).
 */

const NEWER_FORMAT_ERROR_NAME = 'NewerFormatError';

export class NewerFormatError extends Error {
  override readonly name = NEWER_FORMAT_ERROR_NAME;

  /** `format` is what the file is, as its format's docs name it ("index", "manifest", …). */
  constructor(format: string, version: number, newest: number) {
    super(
      `${format} format version ${version} is newer than this version of Lookalike reads (up to ${newest})`,
    );
  }
}

/** Throws NewerFormatError when `version` is a whole number above `newest`; other values are the caller's to check. */
export function rejectNewerVersion(format: string, version: unknown, newest: number): void {
  if (typeof version === 'number' && Number.isInteger(version) && version > newest)
    throw new NewerFormatError(format, version, newest);
}

/** True for a NewerFormatError, also one cloned across a worker boundary (only its name and message survive). */
export function isNewerFormatError(err: unknown): err is Error {
  return err instanceof Error && err.name === NEWER_FORMAT_ERROR_NAME;
}

/**
 * An error about the file at `path`: `err`'s message after the path, `err` as its cause, and
 * NewerFormatError's name kept, since only a name crosses to the page.
 */
export function errorInFile(path: string, err: unknown): Error {
  const wrapped = new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  if (isNewerFormatError(err)) wrapped.name = NEWER_FORMAT_ERROR_NAME;
  return wrapped;
}
