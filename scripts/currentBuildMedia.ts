import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from '../core/manifest';
import { readCatalogReferences } from '../storage/catalogReferences';
import { MANIFEST_FILE, MEDIA_FOLDERS, RETAINED_FILES, parseRetainedFiles } from '../storage/dataDirNames';

/*
 * The thumbnails and originals `npm run serve` answers: those the data dir's current build names, the
 * ones deploy publishes (storage/catalogReferences.ts). A data dir keeps the previous build's files for
 * the tabs still on it, and its media among them are images a rebuild removed or originals with the
 * metadata a rebuild took out: served by name, they stayed online until the next build deleted them.
 * A tab of the previous build that asks for one gets the 404 a deployed site gives, shows "Image
 * unavailable" and moves to the current build.
 *
 * Which files those are, the builder already wrote down: retained-files.json lists what it kept
 * without the current manifest naming it (storage/dataDirWriter.ts collectGarbage), a small file read
 * once per build. Only when that record is missing or belongs to another manifest (a data dir from
 * before it, a build stopped between its switch and its collection) is the catalog read, which takes
 * seconds at a million images: then the media it names are served, and no other.
 *
 * The manifest is read on each request for a thumbnail or original (a few kilobytes): a build replaces
 * the manifest last, so the next request after it sees the new build, however soon and however the
 * manifest was written (by rename, or in place as a test may).
 */

/** Whether a data-dir path lies in thumbs/ or originals/. */
export function isMediaPath(path: string): boolean {
  return MEDIA_FOLDERS.some((folder) => path.startsWith(`${folder}/`));
}

export class CurrentBuildMedia {
  /** The manifest last read and which media it names; a failed read is not kept. */
  private current: { manifest: Buffer; names: Promise<(path: string) => boolean> } | undefined;

  constructor(private readonly dataDir: string) {}

  /**
   * Whether the current build names `path` (data-dir relative, `thumbs/….webp`). False when there is no
   * manifest, or it or its catalog cannot be read (as the site could not): nothing is served then.
   */
  async names(path: string): Promise<boolean> {
    const manifest = await readFile(join(this.dataDir, MANIFEST_FILE)).catch(() => undefined);
    if (manifest === undefined) return false;
    let current = this.current;
    if (current === undefined || !current.manifest.equals(manifest)) {
      current = { manifest, names: this.read(manifest) };
      this.current = current;
      const settled = current;
      // Read again on the next request (a catalog not yet there, a manifest half written).
      current.names.catch(() => {
        if (this.current === settled) this.current = undefined;
      });
    }
    return current.names.then(
      (names) => names(path),
      () => false,
    );
  }

  private async read(manifestBytes: Buffer): Promise<(path: string) => boolean> {
    const manifest = parseManifest(JSON.parse(manifestBytes.toString('utf8')));
    const retained = parseRetainedFiles(
      await readFile(join(this.dataDir, RETAINED_FILES), 'utf8').catch(() => ''),
    );
    if (retained?.manifestSha256 === createHash('sha256').update(manifestBytes).digest('hex')) {
      const previousBuilds = new Set(retained.files.filter(isMediaPath));
      return (path) => !previousBuilds.has(path);
    }
    const { media } = await readCatalogReferences(this.dataDir, manifest);
    return (path) => media.has(path);
  }
}
