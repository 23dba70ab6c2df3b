import { constants } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileIdentity, listFolder } from './folderListing';
import {
  META_FILE_NAME,
  SourceChangedError,
  type ImageSource,
  type ListOptions,
  type SourceEntry,
  type SourceListing,
} from './imageSource';

/** A local folder: each sub-folder is an album, files directly inside go to an album named after the folder. */
export class FolderSource implements ImageSource {
  readonly description: string;
  private readonly root: string;
  private readonly rootAlbum: string;
  /** The last listing's fileIdentity of each entry, by location: the files read() may read. */
  private listed = new Map<string, string>();

  constructor(root: string) {
    this.root = resolve(root);
    this.description = this.root;
    this.rootAlbum = basename(this.root);
  }

  /** See listFolder: links are followed only inside the folder, unreadable sub-folders are reported. */
  async list(options: ListOptions = {}): Promise<SourceListing> {
    const rootStat = await stat(this.root).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`source folder ${this.root} cannot be read: ${err.code ?? err.message}`, {
        cause: err,
      });
    });
    if (!rootStat.isDirectory()) throw new Error(`source ${this.root} is not a folder`);
    const { identities, ...listing } = await listFolder(this.root, this.rootAlbum, options.dataDir);
    this.listed = identities;
    return listing;
  }

  /**
   * The entry's file, opened only if it is still the very file the listing checked (same device and
   * inode). The path is opened again long after the listing, and whatever is there now is followed: a
   * file swapped for a link, a link turned elsewhere, a folder on the way swapped for a link out of
   * the source. Comparing what was opened with what was listed catches all of these, on any platform,
   * at the cost of the fstat a read makes anyway; O_NOFOLLOW would catch only the first. Non-blocking,
   * so that a FIFO put in its place is opened (and refused) instead of waited on for ever.
   */
  private async openListed(entry: SourceEntry): Promise<{ file: FileHandle; size: number }> {
    const identity = this.listed.get(entry.location);
    if (identity === undefined) throw new Error(`${entry.location} is not in this source's listing`);
    const file = await open(join(this.root, entry.location), constants.O_RDONLY | constants.O_NONBLOCK).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR')
          throw new SourceChangedError('deleted since it was listed', { cause: err });
        throw err;
      },
    );
    try {
      const s = await file.stat();
      if (fileIdentity(s) !== identity)
        throw new SourceChangedError('replaced since it was listed (another file is at its path now)');
      return { file, size: s.size };
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /**
   * The file as listed: one whose size changed since (still being copied in, replaced) is refused, as
   * S3Source refuses a changed object, so the listing's size is what the large-file rule judged and
   * no more is read; the build reports it read-failed and the next one tries again.
   */
  async read(entry: SourceEntry): Promise<Uint8Array> {
    const { file, size } = await this.openListed(entry);
    try {
      if (size !== entry.size)
        throw new SourceChangedError(`changed since it was listed (${entry.size} bytes then, ${size} now)`);
      const bytes = Buffer.alloc(size);
      for (let at = 0; at < size;) {
        const { bytesRead } = await file.read(bytes, at, size - at, at);
        if (bytesRead === 0)
          throw new SourceChangedError(`shrank while it was read (${at} of ${size} bytes)`);
        at += bytesRead;
      }
      return bytes;
    } finally {
      await file.close();
    }
  }

  async readHead(entry: SourceEntry, bytes: number): Promise<Uint8Array> {
    const { file } = await this.openListed(entry);
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await file.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  }

  async readMeta(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(join(this.root, META_FILE_NAME), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(`${join(this.root, META_FILE_NAME)} is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}
