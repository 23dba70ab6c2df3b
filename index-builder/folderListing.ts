import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { DATA_DIR_MARKER } from '../storage/dataDirNames';
import {
  META_FILE_NAME,
  byKey,
  isHidden,
  placeInAlbum,
  type ListingSkip,
  type SourceEntry,
  type SourceListing,
} from './imageSource';

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** True when `path` is `dir` or lies below it (both real, absolute paths). */
function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * Which file a stat describes: its device and inode, which Node reports on every platform. FolderSource
 * reads a listed file only through a handle to this very file (FolderSource.openListed).
 */
export function fileIdentity(s: Pick<Stats, 'dev' | 'ino'>): string {
  return `${s.dev}:${s.ino}`;
}

/** What listFolder found, with each entry's fileIdentity by its location. */
export interface FolderListing extends SourceListing {
  identities: Map<string, string>;
}

/** The real path of `path`; for a path that does not exist yet, that of its nearest existing parent. */
async function realOrResolved(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(await realOrResolved(parent), basename(absolute));
  }
}

function specialKind(d: Dirent): string {
  if (d.isFIFO()) return 'a named pipe';
  if (d.isSocket()) return 'a socket';
  return d.isBlockDevice() || d.isCharacterDevice() ? 'a device' : 'neither file nor folder';
}

/**
 * Lists a folder the way FolderSource presents it, reading only what lies inside it:
 *
 * - a symbolic link is followed only when its target (fully resolved) is inside the root; one that
 *   leads out is reported as `outside-source`, one whose target is missing as `unreadable`;
 * - a linked folder that contains the folder it is reached from (a loop, however many links make it)
 *   is reported as `symlink-loop` and not walked;
 * - a folder or file is listed once however many paths lead to it (a linked album `Best ->
 *   2019/summer`, two links to one folder, albums linked to each other): under its own path, since
 *   links are followed only after every folder has been walked by its own path; else (it lies in a
 *   hidden folder) under the first link to it by key. Each other path is reported as `linked-twice`.
 *   Sameness is by real path, never by inode, which a FUSE mount may make up: hard links and copies
 *   are different files (duplicates, which the duplicates view shows);
 * - a sub-folder that cannot be read is reported as `unreadable-folder` and the listing goes on
 *   (only the root itself must be readable);
 * - the build's own data dir, when it lies inside the root, is left out and reported as `build-output`,
 *   and so is each link that leads into it (to it, a folder or a file in it): a build never indexes
 *   the thumbnails and originals it wrote; so is any other folder that is a data dir (it holds the
 *   marker every build leaves), such as the one an earlier build wrote before the data dir moved;
 * - a named pipe, socket or device is reported as `unreadable`, not read (a pipe would block the build);
 * - each file is recorded as it was found (fileIdentity of an lstat, a linked file's of its real path),
 *   never through a link that may have changed since the check.
 */
export async function listFolder(root: string, rootAlbum: string, dataDir?: string): Promise<FolderListing> {
  const rootReal = await realpath(root);
  const entries: SourceEntry[] = [];
  const skipped: ListingSkip[] = [];
  const identities = new Map<string, string>();
  let metaFile: SourceListing['metaFile'];

  let dataDirReal: string | undefined;
  if (dataDir !== undefined) {
    dataDirReal = await realOrResolved(dataDir);
    if (dataDirReal === rootReal) {
      throw new Error(`--data-dir ${dataDir} is the source folder itself: choose a data dir outside ${root}`);
    }
    // The builder writes thumbs/ and originals/ into the data dir: a source inside it would take them
    // in as images of the collection, or be the folder they are written to.
    if (isWithin(rootReal, dataDirReal)) {
      throw new Error(
        `the source folder ${root} is inside --data-dir ${dataDir}, where the build writes its files: choose a data dir outside ${root}`,
      );
    }
    const rel = dataDirReal.slice(rootReal.length + 1).split(sep);
    if (isWithin(dataDirReal, rootReal) && !rel.some(isHidden)) {
      skipped.push({
        key: `${rel.join('/')}/`,
        reason: 'build-output',
        message: 'the data dir this build writes (--data-dir) is inside the source: left out of the listing',
      });
    }
  }

  const inDataDir = (real: string) => dataDirReal !== undefined && isWithin(real, dataDirReal);
  const fileKey = (rel: string) => placeInAlbum(rel, rootAlbum).key;
  /**
   * The entries of a folder whose names are UTF-8; the others are reported. Read as strings, such a
   * name was decoded with U+FFFD in it: that path does not exist, and two names could become one.
   */
  const namedInUtf8 = (rel: string, dirents: Dirent<Buffer>[]): Dirent[] =>
    dirents.flatMap((d) => {
      const name = d.name.toString('utf8');
      if (Buffer.from(name, 'utf8').equals(d.name)) return [Object.assign(d, { name }) as unknown as Dirent];
      const childRel = rel === '' ? name : `${rel}/${name}`;
      skipped.push({
        key: d.isDirectory() ? `${childRel}/` : fileKey(childRel),
        reason: 'bad-key',
        message: `the name is not UTF-8 (bytes ${d.name.toString('hex')}): rename it to include it`,
      });
      return [];
    });
  /** Real path of each folder walked → its path from the root. */
  const walkedFolders = new Map<string, string>([[rootReal, '']]);
  /** Real path of each file listed → its key. */
  const listedFiles = new Map<string, string>();
  /** A second path to a folder or file already listed: reported, not listed. */
  const listedBefore = (rel: string, real: string, isFolder: boolean): boolean => {
    const earlier = isFolder ? walkedFolders.get(real) : listedFiles.get(real);
    if (earlier === undefined) return false;
    skipped.push({
      key: isFolder ? `${rel}/` : fileKey(rel),
      reason: 'linked-twice',
      message: `reaches ${real.slice(rootReal.length + 1)} through a symbolic link, a ${isFolder ? `folder already listed as ${earlier}/` : `file already listed as ${earlier}`}: not listed again`,
    });
    return true;
  };
  /** `path`: the file itself, or the real path a link to it was checked to lead to. */
  const addFile = async (rel: string, path: string) => {
    if (listedBefore(rel, path, false)) return;
    listedFiles.set(path, fileKey(rel));
    try {
      // lstat: a link put there since the folder was read is not followed out of the source.
      const s = await lstat(path);
      if (!s.isFile()) {
        skipped.push({
          key: fileKey(rel),
          reason: 'unreadable',
          message: 'no longer a file: changed while listed',
        });
        return;
      }
      // ctime too: rewriting a file and setting its mtime back still moves its ctime (as git checks).
      const version = `${s.mtimeMs}:${s.ctimeMs}`;
      const modifiedMs = Math.max(s.mtimeMs, s.ctimeMs);
      if (rel === META_FILE_NAME) metaFile = { size: s.size, version };
      else {
        entries.push({ ...placeInAlbum(rel, rootAlbum), location: rel, size: s.size, version, modifiedMs });
        identities.set(rel, fileIdentity(s));
      }
    } catch (err) {
      skipped.push({ key: fileKey(rel), reason: 'unreadable', message: `cannot stat: ${errorCode(err)}` });
    }
  };

  /** Links met while walking, followed once every folder reachable without them has been walked. */
  let links: { rel: string; chain: string[] }[] = [];
  /** `chain`: the real paths of the folders on the way from the root to `rel`, itself last. */
  const walk = async (rel: string, chain: string[]): Promise<void> => {
    if (rel !== '' && listedBefore(rel, chain[chain.length - 1], true)) return;
    walkedFolders.set(chain[chain.length - 1], rel);
    let dirents: Dirent[];
    try {
      dirents = namedInUtf8(rel, await readdir(join(root, rel), { withFileTypes: true, encoding: 'buffer' }));
    } catch (err) {
      if (rel === '') {
        throw new Error(`source folder ${root} cannot be read: ${errorCode(err)}`, { cause: err });
      }
      skipped.push({
        key: `${rel}/`,
        reason: 'unreadable-folder',
        message: `cannot list: ${errorCode(err)}`,
      });
      return;
    }
    if (dirents.some((d) => d.name === DATA_DIR_MARKER)) {
      if (rel === '') {
        throw new Error(
          `source folder ${root} is a data dir (it holds ${DATA_DIR_MARKER}): choose the folder of your images`,
        );
      }
      skipped.push({
        key: `${rel}/`,
        reason: 'build-output',
        message: `a data dir (it holds ${DATA_DIR_MARKER}), another build's thumbnails and originals: left out of the listing`,
      });
      return;
    }
    const here = chain[chain.length - 1];
    // A folder's files are stat'ed together (the listing is sorted at the end): one at a time, the
    // stats of a large collection took most of a rebuild's listing.
    const files: Promise<void>[] = [];
    for (const d of dirents.filter((x) => !isHidden(x.name)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) {
        const real = join(here, d.name);
        if (!inDataDir(real)) await walk(childRel, [...chain, real]);
      } else if (d.isFile()) {
        // The real path: a folder walked through a link lies at its target.
        files.push(addFile(childRel, join(here, d.name)));
      } else if (d.isSymbolicLink()) {
        links.push({ rel: childRel, chain });
      } else {
        skipped.push({
          key: fileKey(childRel),
          reason: 'unreadable',
          message: `not a regular file (${specialKind(d)}): not read`,
        });
      }
    }
    await Promise.all(files);
  };

  const followLink = async (rel: string, chain: string[]): Promise<void> => {
    const path = join(root, rel);
    let target: string;
    try {
      target = await realpath(path);
    } catch (err) {
      const code = errorCode(err);
      const [key, reason, message] =
        code === 'ELOOP'
          ? [`${rel}/`, 'symlink-loop' as const, 'symbolic links that lead to each other (ELOOP)']
          : [fileKey(rel), 'unreadable' as const, `symbolic link to nothing (${code})`];
      skipped.push({ key, reason, message });
      return;
    }
    if (!isWithin(target, rootReal)) {
      skipped.push({
        key: fileKey(rel),
        reason: 'outside-source',
        message: `symbolic link to ${target}, outside the source folder: not followed`,
      });
      return;
    }
    const s = await stat(target).catch(() => undefined);
    if (inDataDir(target)) {
      skipped.push({
        key: s?.isDirectory() === true ? `${rel}/` : fileKey(rel),
        reason: 'build-output',
        message: 'symbolic link into the data dir this build writes (--data-dir): not followed',
      });
      return;
    }
    if (s?.isDirectory() === true) {
      // Walking a folder that holds any folder on the way here would come back here: a loop.
      if (chain.some((dir) => isWithin(dir, target))) {
        skipped.push({
          key: `${rel}/`,
          reason: 'symlink-loop',
          message: `symbolic link to ${target.slice(rootReal.length + 1) || '.'}, a folder it lies in: not followed`,
        });
        return;
      }
      await walk(rel, [...chain, target]);
    } else if (s?.isFile() === true) {
      await addFile(rel, target);
    } else if (s !== undefined) {
      skipped.push({
        key: fileKey(rel),
        reason: 'unreadable',
        message: 'symbolic link to neither file nor folder: not read',
      });
    }
  };

  await walk('', [rootReal]);
  // Links in rounds, each in key order (a linked folder's own links make the next round), so the path
  // kept for a folder reached only through links does not depend on the order readdir returned.
  while (links.length > 0) {
    const round = links.sort((a, b) => (a.rel < b.rel ? -1 : 1));
    links = [];
    for (const { rel, chain } of round) await followLink(rel, chain);
  }
  entries.sort(byKey);
  skipped.sort(byKey);
  return { entries, metaFile, skipped, identities };
}
