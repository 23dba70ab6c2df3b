import { createHash, randomBytes } from 'node:crypto';
import { renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  BUILDER_NAMES,
  BUILD_LOCK_FILE,
  MANIFEST_FILE,
  MEDIA_FOLDERS,
  MEDIA_SIZES_FILE,
  RETAINED_FILES,
  STAGING_DIR,
  ownedMedia,
  ownedTopLevel,
  parseRetainedFiles,
  type RetainedFiles,
} from './dataDirNames';
import { buildLockPid, isAlive } from './buildLockHolder';
import { claimDataDir, unclaimDataDir } from './dataDirOwnership';
import { mediaSizesBytes, readMediaSizes, storedMediaState } from './mediaSizes';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Puts `file` in place as `target`, failing with EEXIST when something is there. A hard link makes the
 * target appear with its content; where the file system has none (some network and FUSE mounts), the
 * target is created exclusively and written, as before.
 */
async function linkOrCreate(file: string, target: string): Promise<void> {
  try {
    await link(file, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
    const fh = await open(target, 'wx');
    try {
      await fh.writeFile(await readFile(file));
    } finally {
      await fh.close();
    }
  }
}

function isMediaName(name: string): boolean {
  return (MEDIA_FOLDERS as readonly string[]).includes(name.slice(0, Math.max(0, name.indexOf('/'))));
}

/** Why a folder cannot be made, in words, for the errors mkdir gives. */
const CANNOT_MAKE: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  // mkdir in a folder that exists: a file system that holds no folders of ours (/proc, /sys).
  ENOENT: 'the file system there does not allow new folders',
};

/**
 * Makes `dir` and its missing parents one level at a time, saying which one could not be made and why.
 * mkdir's recursive mode says ENOENT for a read-only file system, and spins for ever under /proc.
 * Returns the folders it made, outermost first (not those made meanwhile by someone else).
 */
async function makeFolder(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    const info = await lstat(at).catch((err: NodeJS.ErrnoException) => {
      // ENOTDIR: a file on the way, which the walk up finds.
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw new Error(`the data dir ${dir} cannot be made: ${at}: ${err.code}`, { cause: err });
    });
    if (info?.isSymbolicLink() === true && !(await stat(at).catch(() => undefined))) {
      throw new Error(`the data dir ${dir} cannot be made: ${at} is a symbolic link to nothing`);
    }
    if (info !== undefined) {
      if (!(await stat(at)).isDirectory())
        throw new Error(`the data dir ${dir} cannot be made: a file is in the way (${at})`);
      break;
    }
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  const made: string[] = [];
  for (const folder of missing) {
    const mine = await mkdir(folder).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        // Made meanwhile (another build, a person): it is there, which is all that was asked.
        if (err.code === 'EEXIST') return false;
        const why = CANNOT_MAKE[err.code ?? ''] ?? err.code ?? err.message;
        throw new Error(`the data dir ${dir} cannot be made: ${folder}: ${why}`, { cause: err });
      },
    );
    if (mine) made.push(folder);
  }
  return made;
}

/** Removes `folder` if it is empty; false if it is not (or cannot be removed). */
function removeIfEmpty(folder: string): Promise<boolean> {
  return rmdir(folder).then(
    () => true,
    () => false,
  );
}

function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

/**
 * Writes a data dir so that readers only ever see a complete build: content-addressed files are
 * written to a staging dir and renamed into place (an existing name already has that content and is
 * kept), manifest.json is replaced last by an atomic rename, and only then are files that neither the
 * new manifest nor the one it replaced references deleted. A data dir so holds the current and the
 * previous build's files: a tab still reading the previous build keeps working until the next build.
 */
export class DataDirWriter {
  private readonly staging: string;
  private locked = false;
  /** The manifest.json bytes putManifest replaced (null: there was none); undefined before putManifest. */
  private replacedManifest: Uint8Array | null | undefined;
  /**
   * Each thumbnail's and original's size: as the last build recorded it (MEDIA_SIZES_FILE), then as
   * this build wrote it or found it intact. What has() checks a stored file against.
   */
  private sizes = new Map<string, number>();
  /** Thumbnails and originals has() found damaged: written again by the next put, whatever their size. */
  private readonly damaged = new Set<string>();
  /** Thumbnails and originals this build wrote over a file that was not what it makes (damaged). */
  private readonly replaced = new Set<string>();
  /** Folders known to exist, so thousands of puts into one folder do not each ask for it. */
  private readonly folders = new Set<string>();
  /** What open() made, for close() to remove again when the build published nothing. */
  private made: { folders: string[]; marker: boolean; mediaFolders: string[] } = {
    folders: [],
    marker: false,
    mediaFolders: [],
  };

  constructor(readonly dir: string) {
    this.staging = join(dir, STAGING_DIR);
  }

  /**
   * Refuses a folder no build wrote that holds files under the builder's names (dataDirOwnership.ts),
   * then takes the build lock and clears what a killed build may have left in staging.
   */
  async open(): Promise<void> {
    this.made.folders = await makeFolder(this.dir);
    try {
      this.made.marker = await claimDataDir(this.dir);
      await this.lock();
      await rm(this.staging, { recursive: true, force: true });
      await mkdir(this.staging, { recursive: true });
      for (const sub of MEDIA_FOLDERS) {
        if ((await mkdir(join(this.dir, sub), { recursive: true })) !== undefined)
          this.made.mediaFolders.push(sub);
      }
      this.sizes = await readMediaSizes(this.dir);
    } catch (err) {
      // Refused, or another build holds the lock: what this one made goes again (its lock and staging
      // only when it took the lock; otherwise they are the other build's).
      await this.close().catch(() => undefined);
      throw err;
    }
  }

  /** Takes the build lock, clearing one a dead build left. */
  private async lock(): Promise<void> {
    const lock = join(this.dir, BUILD_LOCK_FILE);
    // The lock appears with the holder's pid already in it (a written file linked into place), so a
    // reader never sees a live holder's lock empty.
    const mine = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(mine, `${process.pid}\n`);
    try {
      for (let attempt = 0; attempt < 3 && !this.locked; attempt++) {
        try {
          await linkOrCreate(mine, lock);
          this.locked = true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          // NaN when unreadable or gone meanwhile: a stale lock either way.
          const holder = (await buildLockPid(this.dir)) ?? Number.NaN;
          if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
            throw new Error(
              `another build (pid ${holder}) is writing ${this.dir}; remove ${lock} if it is not`,
              { cause: err },
            );
          }
          await this.clearStaleLock(lock, holder);
        }
      }
    } finally {
      await rm(mine, { force: true });
    }
    if (!this.locked) throw new Error(`cannot take the build lock ${lock}`);
  }

  /**
   * Removes a lock left by a build that died (`holder` its pid, NaN when unreadable). Moved aside
   * first and then checked: when another build cleared it and took the lock meanwhile, what was
   * moved is that build's live lock, and it goes back.
   */
  private async clearStaleLock(lock: string, holder: number): Promise<void> {
    const aside = `${lock}.${process.pid}.stale`;
    try {
      await rename(lock, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else cleared it
      throw err;
    }
    const moved = Number.parseInt(await readFile(aside, 'utf8').catch(() => ''), 10);
    if (moved !== holder && !(Number.isNaN(moved) && Number.isNaN(holder))) {
      await link(aside, lock).catch(() => undefined);
      await rm(aside, { force: true });
      throw new Error(`another build (pid ${moved}) took the lock ${lock} as this one started`);
    }
    await rm(aside, { force: true });
  }

  /**
   * Releases the lock and clears the staging; after a build that published nothing, also removes what
   * open() made (removeWhatItMade).
   */
  async close(): Promise<void> {
    // Only its own: without the lock, the staging is another build's.
    if (this.locked) {
      // Retried: after a failed build, writes still in flight can add to the staging while it is removed.
      await rm(this.staging, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      await rm(join(this.dir, BUILD_LOCK_FILE), { force: true });
    }
    this.locked = false;
    if (!this.published) await this.removeWhatItMade();
  }

  /**
   * A first build that publishes nothing (an empty source, only unreadable files) left a half-made data
   * dir: the marker and empty thumbs/ and originals/, in folders it had made, which a person then took
   * for a build. What open() made goes again, if empty: the media folders, then the marker, then the
   * data dir and the parents it made. Nothing that was there before is touched, and what this build
   * wrote for the next one to reuse (thumbnails, originals, source-files.unfinished.json) stays, with
   * the marker that lets the next build claim it.
   */
  private async removeWhatItMade(): Promise<void> {
    const { folders, marker, mediaFolders } = this.made;
    this.made = { folders: [], marker: false, mediaFolders: [] };
    for (const sub of mediaFolders) await removeIfEmpty(join(this.dir, sub));
    if (marker && !(await unclaimDataDir(this.dir).catch(() => false))) return;
    for (const folder of [...folders].reverse()) {
      if (!(await removeIfEmpty(folder))) return;
    }
  }

  /**
   * True if a content-addressed file of that name is already in place (and so need not be produced).
   * A thumbnail or original must also be intact: the size the last build recorded, or for a thumbnail
   * without one, the length its WebP header gives (storage/mediaSizes.ts); one damaged since is not
   * there, and the next put writes it again. One stat per file (a rebuild asks for every image).
   */
  async has(name: string): Promise<boolean> {
    if (!isMediaName(name)) return exists(join(this.dir, name));
    const state = storedMediaState(join(this.dir, name), name, this.sizes.get(name));
    if (state === 'missing') return false;
    if (state === 'damaged') {
      this.damaged.add(name);
      return false;
    }
    this.sizes.set(name, state);
    return true;
  }

  /** How many thumbnails and originals this build wrote again because the ones in place were damaged. */
  get repaired(): { thumbnails: number; originals: number } {
    const thumbnails = [...this.replaced].filter((name) => name.startsWith('thumbs/')).length;
    return { thumbnails, originals: this.replaced.size - thumbnails };
  }

  /**
   * Puts a content-addressed file in place unless that name already exists; true if it wrote it.
   * `durable` fsyncs first; thousands of thumbnails and originals skip that (a kill cannot tear them,
   * only a power cut could) and are written synchronously: each is a few kB, and the promise-based
   * calls cost the build's main thread more CPU than the writes (a thumbnail and an original took
   * about 1.4 ms of CPU this way, 0.4 ms with synchronous calls).
   */
  async putContentAddressed(name: string, bytes: Uint8Array, durable = true): Promise<boolean> {
    const target = this.pathOf(name);
    const media = isMediaName(name);
    const info = statSync(target, { throwIfNoEntry: false });
    if (await this.holds(info, target, name, bytes)) {
      if (media) this.sizes.set(name, bytes.length);
      return false;
    }
    const folder = dirname(target);
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    if (durable) {
      await rename(await this.stage(bytes), target);
    } else {
      const temp = this.stagingName();
      writeFileSync(temp, bytes);
      renameSync(temp, target);
    }
    if (media) {
      this.sizes.set(name, bytes.length);
      this.damaged.delete(name);
      if (info !== undefined) this.replaced.add(name);
    }
    return true;
  }

  /**
   * Whether the file at `target` already is `bytes`. A name promises its content, but a file can be
   * damaged since (a disk error, a half copy, an edit): one that is not what this build would write is
   * written again, or every later build kept it and published a manifest that named it. A build's own
   * files are compared whole (they are few, and each was just made in memory); a thumbnail or an
   * original, thousands of them, by size, which finds the truncated ones; one has() found damaged is
   * written again whatever its size.
   */
  private async holds(
    info: Stats | undefined,
    target: string,
    name: string,
    bytes: Uint8Array,
  ): Promise<boolean> {
    if (info === undefined || !info.isFile() || info.size !== bytes.length) return false;
    if (this.damaged.has(name)) return false;
    return (
      isMediaName(name) ||
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(await readFile(target))
    );
  }

  /** Whether this build has replaced manifest.json, i.e. is what the data dir publishes. */
  get published(): boolean {
    return this.replacedManifest !== undefined;
  }

  /** Atomically replaces manifest.json: the switch from the previous build to this one. */
  async putManifest(bytes: Uint8Array): Promise<void> {
    const previous = await readFile(join(this.dir, MANIFEST_FILE)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    await this.replaceAtomically(MANIFEST_FILE, bytes);
    this.replacedManifest = previous;
  }

  /**
   * Atomic replace for small mutable files next to the manifest (e.g. the build report). Only names in
   * BUILDER_NAMES: that list is what claimDataDir checks a folder for before a build may write it.
   */
  async replaceAtomically(name: string, bytes: Uint8Array): Promise<void> {
    const target = this.pathOf(name);
    if (!BUILDER_NAMES.has(name))
      throw new Error(`refusing to replace ${name}: not one of BUILDER_NAMES (storage/dataDirNames.ts)`);
    await rename(await this.stage(bytes), target);
  }

  /**
   * Where a file the build names goes: always inside the data dir. Names come from content hashes,
   * but some arrive in files that other machines wrote (a distributed build's shards).
   */
  private pathOf(name: string): string {
    const segments = name.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0')))
      throw new Error(`refusing to write ${JSON.stringify(name)}: not a plain path inside the data dir`);
    return join(this.dir, name);
  }

  /**
   * Called after putManifest with what the new manifest references: deletes the builder-owned files
   * that neither it nor the manifest it replaced references, and returns how many. What the replaced
   * manifest references is known from RETAINED_FILES (written by the previous collection): whatever
   * that build left unreferenced. When that record is missing or belongs to another manifest (an older
   * data dir, a build killed between switch and collection) nothing is deleted this time.
   */
  async collectGarbage(referenced: ReadonlySet<string>): Promise<number> {
    // Files and whole folders (shards.<hash>) are about to be deleted.
    this.folders.clear();
    const unreferenced: string[] = [];
    for (const name of await readdir(this.dir)) {
      if (ownedTopLevel(name) !== undefined && !referenced.has(name)) unreferenced.push(name);
    }
    const media: string[] = [];
    for (const sub of MEDIA_FOLDERS) {
      for (const name of await readdir(join(this.dir, sub)).catch(() => [] as string[])) {
        const rel = `${sub}/${name}`;
        if (!ownedMedia(rel)) continue;
        media.push(rel);
        if (!referenced.has(rel)) unreferenced.push(rel);
      }
    }
    const current = await readFile(join(this.dir, MANIFEST_FILE)).catch(() => null);
    const previous = this.replacedManifest;
    let deletable: (name: string) => boolean;
    if (previous === null) {
      deletable = () => true; // no manifest before this one, so no reader of an earlier build
    } else if (previous === undefined || current === null || sha256(previous) === sha256(current)) {
      deletable = () => false; // no switch to a new build: keep the grace list as it is
    } else {
      const record = parseRetainedFiles(
        await readFile(join(this.dir, RETAINED_FILES), 'utf8').catch(() => ''),
      );
      // Files the previous manifest did not reference either; anything newer is kept one more build.
      const stale = record?.manifestSha256 === sha256(previous) ? new Set(record.files) : new Set();
      deletable = (name) => stale.has(name);
    }
    const removed = new Set<string>();
    const kept: string[] = [];
    for (const name of unreferenced) {
      if (deletable(name)) {
        // A shards.<hash> folder goes whole.
        await rm(join(this.dir, name), { force: true, recursive: true });
        removed.add(name);
      } else {
        kept.push(name);
      }
    }
    if (current !== null) {
      const record: RetainedFiles = { version: 1, manifestSha256: sha256(current), files: kept };
      await this.replaceAtomically(RETAINED_FILES, Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
    }
    await this.replaceAtomically(
      MEDIA_SIZES_FILE,
      mediaSizesBytes(this.mediaSizes(media, removed, referenced)),
    );
    return removed.size;
  }

  /**
   * The sizes to record of the thumbnails and originals that stay: as written or checked by this build,
   * else as recorded before; a referenced one that neither wrote nor checked is taken as it is.
   */
  private mediaSizes(
    media: readonly string[],
    removed: ReadonlySet<string>,
    referenced: ReadonlySet<string>,
  ): [string, number][] {
    return media.flatMap((name): [string, number][] => {
      if (removed.has(name)) return [];
      const size =
        this.sizes.get(name) ??
        (referenced.has(name) ? statSync(join(this.dir, name), { throwIfNoEntry: false })?.size : undefined);
      return size === undefined ? [] : [[name, size]];
    });
  }

  private stagingName(): string {
    return join(this.staging, randomBytes(8).toString('hex'));
  }

  // Written and fsynced in staging (same filesystem), so the rename publishes complete bytes only.
  private async stage(bytes: Uint8Array): Promise<string> {
    const temp = this.stagingName();
    const fh = await open(temp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return temp;
  }
}
