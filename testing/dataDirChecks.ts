import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDataDir, type LoadedDataDir } from './loadDataDir';
import { holdsOriginalNamed } from '../storage/storedOriginal';

/* Checks of a built data dir, shared by the builder's integration tests. */

/**
 * Loads a data dir exactly as the site would (manifest → verified index, catalog, model) and also
 * checks that every thumbnail and original the catalog names is there, and that nothing else is.
 */
export async function verifyDataDir(dir: string): Promise<LoadedDataDir> {
  const data = await loadDataDir(dir);
  const referenced = new Set<string>();
  for (const it of data.catalog.items) {
    referenced.add(it.thumb);
    referenced.add(it.original);
  }
  const present = new Set<string>();
  for (const sub of ['thumbs', 'originals']) {
    for (const name of await readdir(join(dir, sub))) present.add(`${sub}/${name}`);
  }
  const missing = [...referenced].filter((p) => !present.has(p));
  if (missing.length > 0) throw new Error(`${dir} is missing ${missing.join(', ')}`);
  const originals = data.catalog.items.map((it) => it.original);
  for (const path of originals) {
    // Named after the source: its bytes, or the sha256 a rasterised or stripped original records,
    // with or without its metadata (the check deploy makes too).
    if (!holdsOriginalNamed(path, await readFile(join(dir, path))))
      throw new Error(`${path} does not hold the content its name says`);
  }
  return data;
}

/** Builder-owned files in a data dir, for comparing before and after. */
export async function ownedFiles(dir: string): Promise<string[]> {
  const top = (await readdir(dir)).filter((n) => /^(index|catalog|model)\./.test(n));
  const subs: string[] = [];
  for (const sub of ['thumbs', 'originals']) {
    for (const name of await readdir(join(dir, sub)).catch(() => [] as string[])) subs.push(`${sub}/${name}`);
  }
  return [...top, ...subs].sort();
}
