import { createHash, randomBytes } from 'node:crypto';
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { link, lstat, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  BUILDER_NAMES,
  BUILD_LOCK_FILE,
  MANIFEST_FILE,
  MEDIA_FOLDERS,
  RETAINED_FILES,
  STAGING_DIR,
  ownedMedia,
  ownedTopLevel,
  parseRetainedFiles,
  type RetainedFiles,
} from './dataDirNames';
import { buildLockPid, isAlive } from './buildLockHolder';
import { claimDataDir } from './dataDirOwnership';

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

// A synchronous stat: an async one that misses rejects with an Error (stack trace and all), and a build
// asks once per thumbnail and original; the sync call is a few microseconds on a local disk.
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
 */
async function makeFolder(dir: string): Promise<void> {
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
  for (const folder of missing) {
    await mkdir(folder).catch((err: NodeJS.ErrnoException) => {
      // Made meanwhile (another build, a person): it is there, which is all that was asked.
      if (err.code === 'EEXIST') return;
      const why = CANNOT_MAKE[err.code ?? ''] ?? err.code ?? err.message;
      throw new Error(`the data dir ${dir} cannot be made: ${folder}: ${why}`, { cause: err });
    });
  }
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
  /** Names in the media folders, listed on the first has() (see there). */
  private media: Promise<Set<string>> | undefined;
  /** Folders known to exist, so thousands of puts into one folder do not each ask for it. */
  private readonly folders = new Set<string>();

  constructor(readonly dir: string) {
    this.staging = join(dir, STAGING_DIR);
  }

  /**
   * Refuses a folder no build wrote that holds files under the builder's names (dataDirOwnership.ts),
   * then takes the build lock and clears what a killed build may have left in staging.
   */
  async open(): Promise<void> {
    await makeFolder(this.dir);
    await claimDataDir(this.dir);
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
    await rm(this.staging, { recursive: true, force: true });
    await mkdir(this.staging, { recursive: true });
    for (const sub of MEDIA_FOLDERS) await mkdir(join(this.dir, sub), { recursive: true });
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

  async close(): Promise<void> {
    // Retried: after a failed build, writes still in flight can add to the staging while it is removed.
    await rm(this.staging, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    if (this.locked) await rm(join(this.dir, BUILD_LOCK_FILE), { force: true });
    this.locked = false;
  }

  /**
   * True if a content-addressed file of that name is already in place (and so need not be produced).
   * Thumbnails and originals are looked up in one listing of their folders instead of a stat each (a
   * rebuild asks for every image); a name not in it is still checked on disk, so only a file removed
   * by hand during the build could be missed.
   */
  async has(name: string): Promise<boolean> {
    if (isMediaName(name)) {
      this.media ??= this.listMedia();
      if ((await this.media).has(name)) return true;
    }
    return exists(join(this.dir, name));
  }

  private async listMedia(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const sub of MEDIA_FOLDERS) {
      for (const name of await readdir(join(this.dir, sub)).catch(() => [] as string[])) {
        names.add(`${sub}/${name}`);
      }
    }
    return names;
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
    if (await this.holds(target, name, bytes)) return false;
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
    return true;
  }

  /**
   * Whether the file at `target` already is `bytes`. A name promises its content, but a file can be
   * damaged since (a disk error, a half copy, an edit): one that is not what this build would write is
   * written again, or every later build kept it and published a manifest that named it. A build's own
   * files are compared whole (they are few, and each was just made in memory); a thumbnail or an
   * original, thousands of them, by size, which finds the truncated ones.
   */
  private async holds(target: string, name: string, bytes: Uint8Array): Promise<boolean> {
    const info = statSync(target, { throwIfNoEntry: false });
    if (info === undefined || !info.isFile() || info.size !== bytes.length) return false;
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
    this.media = undefined;
    this.folders.clear();
    const unreferenced: string[] = [];
    for (const name of await readdir(this.dir)) {
      if (ownedTopLevel(name) !== undefined && !referenced.has(name)) unreferenced.push(name);
    }
    for (const sub of MEDIA_FOLDERS) {
      for (const name of await readdir(join(this.dir, sub)).catch(() => [] as string[])) {
        const rel = `${sub}/${name}`;
        if (ownedMedia(rel) && !referenced.has(rel)) unreferenced.push(rel);
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
    let removed = 0;
    const kept: string[] = [];
    for (const name of unreferenced) {
      if (deletable(name)) {
        // A shards.<hash> folder goes whole.
        await rm(join(this.dir, name), { force: true, recursive: true });
        removed++;
      } else {
        kept.push(name);
      }
    }
    if (current !== null) {
      const record: RetainedFiles = { version: 1, manifestSha256: sha256(current), files: kept };
      await this.replaceAtomically(RETAINED_FILES, Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
    }
    return removed;
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
