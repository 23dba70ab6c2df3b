import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from '../core/manifest';
import {
  BUILDER_NAMES,
  DATA_DIR_MARKER,
  MANIFEST_FILE,
  MEDIA_FOLDERS,
  ownedMedia,
  ownedTopLevel,
} from './dataDirNames';

/*
 * A build replaces and deletes files by name, and its names are ordinary ones (manifest.json,
 * build-report.json, .staging/, originals/<16 hex digits>.png): a folder chosen as the data dir that no
 * build wrote can hold the user's own files under them (./public with its PWA manifest.json). So a build
 * writes only into a folder that a build wrote, or into one that holds none of those names.
 *
 * Why a marker: what a build leaves when it dies or fails before its first manifest (thumbnails,
 * originals, staging, a stale lock; a distributed build's source-files.unfinished.json, kept on purpose
 * for the next run) must not lock the user out of rerunning it. The lock alone would not tell: a build
 * that fails releases it and keeps the rest. The marker is written before anything else, lock included,
 * so whatever a build left is next to it. A data dir from before the marker has a manifest instead.
 */

const MARKER_TEXT =
  'A Lookalike data dir: npm run build-index replaces and deletes the files it wrote here.\n';

/** How many of the names in the way an error lists. */
const LISTED = 10;

/**
 * Checks that a build may write `dir` (an existing folder) and marks it as a data dir; throws, having
 * written and deleted nothing, when the folder holds files under the builder's names that no build wrote.
 * Called before the build takes its lock: taking a stale lock removes whatever file has its name.
 * True if it wrote the marker (the folder was not marked before).
 */
export async function claimDataDir(dir: string): Promise<boolean> {
  const marker = join(dir, DATA_DIR_MARKER);
  if ((await stat(marker).catch(() => undefined)) !== undefined) return false;
  if (!(await hasLookalikeManifest(dir))) {
    const inTheWay = await builderNamesIn(dir);
    if (inTheWay.length > 0) {
      const more = inTheWay.length > LISTED ? ` and ${inTheWay.length - LISTED} more` : '';
      throw new Error(
        `${dir} is not a data dir written by build-index, and a build would replace or delete what is ` +
          `there: ${inTheWay.slice(0, LISTED).join(', ')}${more}. Nothing was changed: choose an empty ` +
          'or new folder as the data dir, or one that build-index wrote',
      );
    }
  }
  await writeFile(marker, MARKER_TEXT);
  return true;
}

/**
 * Takes back the marker claimDataDir wrote, for a build that published nothing, unless the folder holds
 * files under the builder's names: what that build left for the next one (thumbnails, records of
 * finished work), which the next build could not claim without the marker. True if it removed it.
 * Called once the build has released its lock and cleared its staging.
 */
export async function unclaimDataDir(dir: string): Promise<boolean> {
  if ((await builderNamesIn(dir)).length > 0) return false;
  await rm(join(dir, DATA_DIR_MARKER), { force: true });
  return true;
}

/** Whether `dir` holds a manifest core's reader takes: a data dir a build wrote before the marker existed. */
async function hasLookalikeManifest(dir: string): Promise<boolean> {
  try {
    parseManifest(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')));
    return true;
  } catch {
    return false; // missing, unreadable or someone else's
  }
}

/** The paths in `dir` that a build would replace or delete: fixed names, build files, builder-named media. */
async function builderNamesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (BUILDER_NAMES.has(entry.name) || ownedTopLevel(entry.name) !== undefined) {
      const note = entry.name === MANIFEST_FILE ? ' (not a Lookalike manifest)' : '';
      found.push(`${entry.name}${entry.isDirectory() ? '/' : ''}${note}`);
    }
  }
  for (const sub of MEDIA_FOLDERS) {
    for (const name of await readdir(join(dir, sub)).catch(() => [] as string[])) {
      if (ownedMedia(`${sub}/${name}`)) found.push(`${sub}/${name}`);
    }
  }
  return found.sort();
}
