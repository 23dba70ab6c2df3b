import { open, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { listFolder } from './folderListing';
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

  constructor(root: string) {
    this.root = resolve(root);
    this.description = this.root;
    this.rootAlbum = basename(this.root);
  }

  /** See listFolder: links are followed only inside the folder, unreadable sub-folders are reported. */
  async list(options: ListOptions = {}): Promise<SourceListing> {
    const rootStat = await stat(this.root).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`source folder ${this.root} cannot be read: ${err.code ?? err.message}`);
    });
    if (!rootStat.isDirectory()) throw new Error(`source ${this.root} is not a folder`);
    return listFolder(this.root, this.rootAlbum, options.outDir);
  }

  /**
   * The file as listed: one whose size changed since (still being copied in, replaced) is refused, as
   * S3Source refuses a changed object, so the listing's size is what the large-file rule judged and
   * no more is read; the build reports it read-failed and the next one tries again.
   */
  async read(entry: SourceEntry): Promise<Uint8Array> {
    const file = await open(join(this.root, entry.location), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new SourceChangedError('deleted since it was listed', { cause: err });
      throw err;
    });
    try {
      const { size } = await file.stat();
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
    const file = await open(join(this.root, entry.location), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new SourceChangedError('deleted since it was listed', { cause: err });
      throw err;
    });
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
