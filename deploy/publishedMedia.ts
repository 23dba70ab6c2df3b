import { mediaIntact, readMediaSizes } from '../storage/mediaSizes';
import { holdsOriginalNamed } from '../storage/storedOriginal';
import type { LocalFile } from './localFiles';
import { DATA_DIR } from './publishRules';

/*
 * Thumbnails and originals are published as immutable, so one damaged on disk (cut short by a full
 * disk or a half copy, edited, replaced) would stay broken in visitors' caches for a year, and an
 * original replaced by a page would be served as an image from the site's origin. Deploy used to
 * check only that each was there and had a raster extension (audit, December 2026). Each is now
 * checked as the describe pass reads it to hash it, so that no file is read twice: its size against
 * the one the build recorded (media-sizes.json), or for a thumbnail without a record its WebP header,
 * exactly as a build judges it (storage/mediaSizes.ts mediaIntact), so that what deploy refuses a
 * rebuild repairs; and an original's bytes against its name (storage/storedOriginal.ts), which catches
 * content that is not what the build stored, whatever its size.
 */

const SHOWN = 5;

function shown(list: string[]): string {
  return list.slice(0, SHOWN).join(', ') + (list.length > SHOWN ? ` and ${list.length - SHOWN} more` : '');
}

export class PublishedMediaCheck {
  /** Not as the build left them (size, WebP header): a rebuild makes them again. */
  private readonly damaged: string[] = [];
  /** The right size but not what their name says: a build takes them as they are, unless deleted first. */
  private readonly misnamed: string[] = [];

  private constructor(
    private readonly dataDir: string,
    private readonly media: ReadonlySet<string>,
    private readonly sizes: Map<string, number>,
  ) {}

  /** `media`: the data-dir paths of the thumbnails and originals the catalog names. */
  static async open(dataDir: string, media: ReadonlySet<string>): Promise<PublishedMediaCheck> {
    return new PublishedMediaCheck(dataDir, media, await readMediaSizes(dataDir));
  }

  /** Checks one file as read for hashing (`sha256`, hex, of `bytes`); files other than `media` pass. */
  inspect(file: LocalFile, bytes: Uint8Array, sha256: string): void {
    if (!file.sitePath.startsWith(`${DATA_DIR}/`)) return;
    const name = file.sitePath.slice(DATA_DIR.length + 1);
    if (!this.media.has(name)) return;
    const recorded = this.sizes.get(name);
    // Judged on the bytes read for hashing, not on the file again.
    if (!mediaIntact(name, bytes.length, recorded, () => bytes)) {
      const why =
        recorded !== undefined
          ? `${bytes.length} bytes, the build wrote ${recorded}`
          : 'not a whole WebP file';
      this.damaged.push(`${name} (${why})`);
    } else if (name.startsWith('originals/') && !holdsOriginalNamed(name, bytes, sha256)) {
      this.misnamed.push(name);
    }
  }

  /** Throws, naming the files and what to do, when any inspected file failed; nothing is published then. */
  assertIntact(): void {
    const rebuild = `npm run build-index -- --source <images> --data-dir ${this.dataDir}`;
    const problems: string[] = [];
    if (this.damaged.length > 0) {
      problems.push(
        `${this.damaged.length} thumbnail(s) or original(s) are damaged: ${shown(this.damaged.sort())}. ` +
          `Rebuild the data dir (${rebuild}): it makes each again from its image.`,
      );
    }
    if (this.misnamed.length > 0) {
      problems.push(
        `${this.misnamed.length} original(s) do not hold the image their name says (replaced or edited ` +
          `since a build wrote them): ${shown(this.misnamed.sort())}. Delete them, then rebuild the data dir ` +
          `(${rebuild}): it makes them again from their images.`,
      );
    }
    if (problems.length > 0) {
      throw new Error(`${this.dataDir}: nothing was published. ${problems.join(' ')}`);
    }
  }
}
