import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  META_FILE_NAME,
  byKey,
  isHidden,
  placeInAlbum,
  type ImageSource,
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

  async list(): Promise<SourceListing> {
    const rootStat = await stat(this.root).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`source folder ${this.root} cannot be read: ${err.code ?? err.message}`);
    });
    if (!rootStat.isDirectory()) throw new Error(`source ${this.root} is not a folder`);
    const entries: SourceEntry[] = [];
    let metaFile: SourceListing['metaFile'];
    const walk = async (relDir: string): Promise<void> => {
      const dirents = await readdir(join(this.root, relDir), { withFileTypes: true });
      const visible = dirents.filter((d) => !isHidden(d.name));
      const rels = visible.map((d) => (relDir === '' ? d.name : `${relDir}/${d.name}`));
      // stat follows symlinks, so linked files and folders count like real ones; one batch per folder.
      const stats = await Promise.all(rels.map((rel) => stat(join(this.root, rel)).catch(() => undefined)));
      for (let i = 0; i < rels.length; i++) {
        const rel = rels[i];
        const s = stats[i];
        if (s === undefined) continue;
        if (s.isDirectory()) await walk(rel);
        else if (s.isFile()) {
          const version = `${s.mtimeMs}`;
          if (rel === META_FILE_NAME) metaFile = { size: s.size, version };
          else entries.push({ ...placeInAlbum(rel, this.rootAlbum), location: rel, size: s.size, version });
        }
      }
    };
    await walk('');
    entries.sort(byKey);
    return { entries, metaFile };
  }

  async read(entry: SourceEntry): Promise<Uint8Array> {
    return readFile(join(this.root, entry.location));
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
