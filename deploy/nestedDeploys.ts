import type { S3Client } from '@aws-sdk/client-s3';
import { DEPLOY_LOCK_FILE, deployLockKey } from './deployLockFile';
import { DEPLOY_STATE_FILE, deployStateKey, readDeployState } from './deployState';
import { headObject } from './storedHeaders';
import { ancestorPrefixes, listingPrefix } from './sitePrefix';

/*
 * Sites may nest (`demo/` beside a bucket-root site, `demo/v2/` inside `demo/`), but never inside
 * one another's published folders. A site's policy makes each of its top-level folders public
 * (`demo/data/*`), so a deploy at `demo/data` had its deploy state and lock (host, pid, every key)
 * public; and the outer site's `--delete` leaves any other deploy's folder alone, so it no longer
 * cleaned its own `data/`, and its replaced collection stayed published. Both directions are refused
 * before anything is written.
 */

/** Folders every Lookalike site publishes, whatever its build has in them now. */
const SITE_FOLDERS = ['assets', 'data'];

/** The top-level folders a site's policy covers (`folder/*`): its own, and always assets/ and data/. */
function siteFolders(sitePaths: Iterable<string>): Set<string> {
  const folders = new Set(SITE_FOLDERS);
  for (const path of sitePaths) {
    const slash = path.indexOf('/');
    if (slash > 0) folders.add(path.slice(0, slash));
  }
  return folders;
}

/** The folder of the site at `outer` that `inner` (a prefix under it) lies in or is, if any. */
function folderHolding(outer: string, inner: string, folders: Set<string>): string | undefined {
  const top = inner.slice(listingPrefix(outer).length).split('/')[0];
  return folders.has(top) ? top : undefined;
}

function siteAt(prefix: string): string {
  return prefix ? `the site deployed at ${prefix}/` : 'the site deployed at the bucket root';
}

function folderList(folders: Set<string>): string {
  return [...folders]
    .sort()
    .map((f) => `${f}/`)
    .join(', ');
}

/**
 * Refuses a prefix that lies inside (or is) a published folder of a site deployed above it. Other
 * deploys are known by their deploy state or lock; the state's keys say which folders that site has.
 */
export async function assertNotInsideAnotherSite(o: {
  client: S3Client;
  bucket: string;
  prefix: string;
}): Promise<void> {
  for (const outer of ancestorPrefixes(o.prefix)) {
    const marks = await Promise.all(
      [deployStateKey(outer), deployLockKey(outer)].map((key) => headObject(o.client, o.bucket, key)),
    );
    if (marks.every((m) => m === undefined)) continue;
    const state = await readDeployState(o.client, o.bucket, outer);
    const under = listingPrefix(outer);
    const folders = siteFolders(
      [...state.objects.keys(), ...state.pending.keys()]
        .filter((k) => k.startsWith(under))
        .map((k) => k.slice(under.length)),
    );
    const folder = folderHolding(outer, o.prefix, folders);
    if (folder === undefined) continue;
    throw new Error(
      `--prefix '${o.prefix}' lies inside the ${folder}/ folder of ${siteAt(outer)}: that site's ` +
        `public-read policy covers ${under}${folder}/*, so this deploy's state and lock would be public, ` +
        `and that site's --delete could no longer clean its own ${folder}/. Nothing was changed. ` +
        `Deploy to a prefix outside its folders (${folderList(folders)}).`,
    );
  }
}

/**
 * Prefixes (`demo/v2/`) of the other deploys whose state or lock files are among `keys` (a listing
 * under this deploy's prefix); `ownKeys` are this deploy's own.
 */
export function otherDeployPrefixes(keys: Iterable<string>, ownKeys: Set<string>): string[] {
  const out: string[] = [];
  for (const key of keys) {
    // A deploy's lock marks its prefix too: a first deploy there has no state yet.
    for (const file of [DEPLOY_STATE_FILE, DEPLOY_LOCK_FILE]) {
      if (!ownKeys.has(key) && key.endsWith(`/${file}`)) out.push(key.slice(0, key.length - file.length));
    }
  }
  return [...new Set(out)].sort();
}

/**
 * Refuses to publish a site at `prefix` whose published folders (`sitePaths`: this build's and what
 * earlier deploys recorded) hold another deploy (`others`, as otherDeployPrefixes gives them).
 */
export function assertNoDeployInsideSite(
  prefix: string,
  sitePaths: Iterable<string>,
  others: string[],
): void {
  const folders = siteFolders(sitePaths);
  const inside = others.flatMap((p) => {
    const folder = folderHolding(prefix, p.slice(0, -1), folders);
    return folder === undefined ? [] : [{ p, folder }];
  });
  if (inside.length === 0) return;
  const { p: first, folder } = inside[0];
  const more =
    inside.length > 1
      ? ` (and ${inside.length - 1} more: ${inside
          .slice(1)
          .map((i) => i.p)
          .join(', ')})`
      : '';
  throw new Error(
    `this site's ${folder}/ folder holds another deploy, at ${first}${more}: the site's public-read ` +
      `policy covers ${listingPrefix(prefix)}${folder}/*, so that deploy's state and lock would be public, ` +
      `and this site's --delete could not clean its own ${folder}/. Nothing was changed. Move that deploy ` +
      `out (delete its keys under ${first}, then deploy it to a prefix outside this site's folders, ` +
      `${folderList(folders)}), or deploy this site to another --prefix.`,
  );
}
