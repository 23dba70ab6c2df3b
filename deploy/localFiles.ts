import { readdir, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { DATA_DIR } from './publishRules';

/** A file to publish: where it is on disk and its path in the published site. */
export interface LocalFile {
  localPath: string;
  /** Relative to the site root, `/`-separated: `index.html`, `data/thumbs/0a1b….webp`. */
  sitePath: string;
}

/**
 * Dot-files are builder state (`.staging/`, `.build.lock`) or editor litter, never site content. A
 * folder whose real path is `skip` is not walked.
 */
async function walk(root: string, dir: string, out: string[], skip?: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (skip === undefined || (await realpath(full)) !== skip) await walk(root, full, out, skip);
    } else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'));
  }
}

interface CollectedFiles {
  files: LocalFile[];
  /** Site files under `data/` that were left out because the data dir is published there. */
  shadowedSiteFiles: string[];
}

/**
 * Site files at the root and data-dir files under `data/`, sorted by site path. No site dir: data only.
 * A data dir kept inside the site dir is not also walked as site files: it holds private files (the
 * build report names the source, `source-files.json` lists it) that only the manifest's reach may
 * publish, and only under `data/`.
 */
export async function collectLocalFiles(
  siteDir: string | undefined,
  dataDir: string,
): Promise<CollectedFiles> {
  const files: LocalFile[] = [];
  const shadowedSiteFiles: string[] = [];
  if (siteDir !== undefined) {
    const sitePaths: string[] = [];
    await walk(siteDir, siteDir, sitePaths, await realpath(dataDir));
    for (const p of sitePaths) {
      if (p.startsWith(`${DATA_DIR}/`)) shadowedSiteFiles.push(p);
      else files.push({ localPath: join(siteDir, p), sitePath: p });
    }
  }
  const dataPaths: string[] = [];
  await walk(dataDir, dataDir, dataPaths);
  for (const p of dataPaths) files.push({ localPath: join(dataDir, p), sitePath: `${DATA_DIR}/${p}` });
  files.sort((a, b) => (a.sitePath < b.sitePath ? -1 : a.sitePath > b.sitePath ? 1 : 0));
  return { files, shadowedSiteFiles };
}
