import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { LocalFile } from './localFiles';
import { prepareBody } from './preparedBody';
import { publishRuleFor, type PublishRule } from './publishRules';
import { stateSaysUnchanged, type DeployRecord } from './deployState';
import { assertNoDeployInsideSite, assertNotInsideAnotherSite, otherDeployPrefixes } from './nestedDeploys';
import type { ListedObject } from '../storage/s3Listing';
import { headObject } from './storedHeaders';
import { objectKey } from './sitePrefix';
import { keysCoveredBy } from './bucketSettings';

/** A local file with everything needed to decide whether, and how, it is uploaded. */
export interface PlannedFile {
  file: LocalFile;
  key: string;
  rule: PublishRule;
  sha256: string;
  size: number;
  storedSize: number;
  contentEncoding: 'gzip' | undefined;
  /**
   * One of the previous build's files, kept for tabs still on that build (publishedDataSet.ts
   * retainedPaths): left in the bucket where it is, never uploaded where it is not. Only tabs of a site
   * that served that build can ask for it, and a prefix without it never did; uploading it there would
   * publish the names and vectors of images the collection no longer holds.
   */
  retained?: boolean;
}

type UploadReason = 'new' | 'changed' | 'headers changed';

export interface DeployPlan {
  uploads: (PlannedFile & { reason: UploadReason })[];
  skips: PlannedFile[];
  /** Stale keys under the prefix that an earlier deploy wrote (they carry our sha256 metadata). */
  deletes: string[];
  /**
   * Keys under the prefix, other than the site's, that this prefix's deploys did not write: never
   * deleted, and never made public (ExposedObjectError).
   */
  foreign: string[];
  /** Key prefixes (`demo/`) of other deploys found under ours: none of their keys is ever touched. */
  otherDeploys: string[];
}

/** Thrown before any upload when a site key is taken by an object no deploy wrote. */
class ForeignObjectError extends Error {
  constructor(readonly keys: string[]) {
    const shown = keys.slice(0, 5).join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');
    super(
      `the site would overwrite ${keys.length} object(s) that no deploy wrote: ${shown}. ` +
        'Nothing was uploaded. Move or delete them (they are yours, so the deploy will not), then deploy again.',
    );
    this.name = 'ForeignObjectError';
  }
}

/** Thrown before anything is written when the site's public-read policy would cover objects no deploy wrote. */
class ExposedObjectError extends Error {
  constructor(readonly keys: string[]) {
    const shown = keys.slice(0, 5).join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');
    super(
      `the site's public-read policy would let anyone read ${keys.length} object(s) that no deploy wrote: ${shown}. ` +
        'Nothing was changed. Move or delete them (they are yours, so the deploy will not), deploy to another --prefix, ' +
        'or pass --no-configure and make the site readable yourself.',
    );
    this.name = 'ExposedObjectError';
  }
}

/**
 * Hashes every file and works out its stored body (gzip or not); the bodies themselves are not kept.
 * `inspect` sees each file's bytes as read, so that a check of them (deploy/publishedMedia.ts) does not
 * read the data dir a second time.
 */
export async function describeFiles(
  files: LocalFile[],
  prefix: string,
  concurrency: number,
  inspect?: (file: LocalFile, bytes: Buffer, sha256: string) => void,
): Promise<PlannedFile[]> {
  const limit = pLimit(concurrency);
  return Promise.all(
    files.map((file) =>
      limit(async () => {
        const rule = publishRuleFor(file.sitePath);
        const body = await prepareBody(file.localPath, rule.compressible);
        inspect?.(file, body.raw, body.sha256);
        return {
          file,
          key: objectKey(prefix, file.sitePath),
          rule,
          sha256: body.sha256,
          size: body.size,
          storedSize: body.body.length,
          contentEncoding: body.contentEncoding,
        };
      }),
    ),
  );
}

/**
 * Refuses a site inside another's published folders, or holding another in its own (nestedDeploys.ts).
 * The prefix is where the files go: each key is the prefix, then its site path (describeFiles).
 */
async function assertNotNested(
  opts: { client: S3Client; bucket: string; files: PlannedFile[]; state: DeployRecord },
  others: string[],
): Promise<void> {
  const first = opts.files[0];
  if (first === undefined) return;
  const root = first.key.slice(0, first.key.length - first.file.sitePath.length);
  const prefix = root.replace(/\/$/, '');
  await assertNotInsideAnotherSite({ client: opts.client, bucket: opts.bucket, prefix });
  // The policy covers the folders of what earlier deploys recorded too, until they are deleted.
  const recorded = [...opts.state.objects.keys(), ...opts.state.pending.keys()]
    .filter((k) => k.startsWith(root))
    .map((k) => k.slice(root.length));
  assertNoDeployInsideSite(prefix, [...opts.files.map((f) => f.file.sitePath), ...recorded], others);
}

/**
 * Compares against what is stored. The listing's size rules most files in or out cheaply, the deploy
 * state (checked against the listed ETag) settles most of the rest, and a HEAD the remainder: it
 * confirms content (sha256 metadata) and every header we set, so a change of the header rules
 * re-uploads files whose bytes did not change. An object at a site key that carries no sha256
 * metadata was put there by someone else: the deploy stops before uploading anything
 * (ForeignObjectError) rather than overwrite it and later, with --delete, remove it as its own. A site
 * inside another's published folders, or holding another deploy in its own, stops it too.
 */
export async function planDeploy(opts: {
  client: S3Client;
  bucket: string;
  files: PlannedFile[];
  listed: Map<string, ListedObject>;
  state: DeployRecord;
  /** Keys under the prefix that are the deploy's own bookkeeping (state, lock), never stale; other
   * deploys' state and lock files mark their prefixes. */
  reserved: Set<string>;
  withDeletes: boolean;
  /**
   * The keys the site's public-read policy will cover (bucketSettings.ts policyKeyPatterns): none of
   * them may hold an object no deploy wrote (ExposedObjectError). Empty when the deploy leaves the
   * policy alone, or makes the whole bucket public because the person asked (`--public-bucket`).
   */
  publicPatterns: readonly string[];
  concurrency: number;
}): Promise<DeployPlan> {
  const { client, bucket, files, listed, state } = opts;
  const limit = pLimit(opts.concurrency);
  // Other deploys the listing shows (a bucket-root deploy lists every site in the bucket; a deploy to
  // `demo` lists one to `demo/v2`): never in this site's folders, nor this site in theirs.
  const others = otherDeployPrefixes(listed.keys(), opts.reserved);
  await assertNotNested(opts, others);
  const plan: DeployPlan = { uploads: [], skips: [], deletes: [], foreign: [], otherDeploys: [] };
  const recorded = (key: string) => {
    const entry = state.objects.get(key);
    return entry !== undefined && entry.etag === listed.get(key)?.etag;
  };
  const foreignWrites: string[] = [];
  const decisions = await Promise.all(
    files.map((f) =>
      limit(async (): Promise<UploadReason | 'unchanged' | 'not here'> => {
        const stored = listed.get(f.key);
        if (!stored) return f.retained ? 'not here' : 'new';
        if (recorded(f.key)) {
          if (stored.size !== f.storedSize) return 'changed';
          if (stateSaysUnchanged(state.objects, f, stored)) return 'unchanged';
        }
        const head = await headObject(client, bucket, f.key);
        if (!head) return f.retained ? 'not here' : 'new';
        // A key an unfinished deploy was writing is its own, whatever it holds (a cut-off upload).
        if (head.sha256 === undefined && !recorded(f.key) && !state.pending.has(f.key)) {
          foreignWrites.push(f.key);
        }
        if (head.sha256 !== f.sha256 || stored.size !== f.storedSize) return 'changed';
        const same =
          head.contentType === f.rule.contentType &&
          head.cacheControl === f.rule.cacheControl &&
          head.contentEncoding === f.contentEncoding;
        return same ? 'unchanged' : 'headers changed';
      }),
    ),
  );
  if (foreignWrites.length > 0) throw new ForeignObjectError(foreignWrites.sort());
  files.forEach((f, i) => {
    const d = decisions[i];
    if (d === 'unchanged') plan.skips.push(f);
    else if (d !== 'not here') plan.uploads.push({ ...f, reason: d });
  });
  const wanted = new Set(files.filter((_, i) => decisions[i] !== 'not here').map((f) => f.key));
  const stale = [...listed.keys()]
    .filter((k) => !wanted.has(k) && !opts.reserved.has(k) && !others.some((p) => k.startsWith(p)))
    .sort();
  // Only what this prefix's own deploy state records, with the ETag it still has, or what an
  // unfinished deploy recorded as pending and still carries the sha256 it uploaded: a key written by
  // anyone or anything else since (another deploy, a hand upload) is never ours to delete.
  const ours = await Promise.all(
    stale.map((key) =>
      limit(async () => {
        if (recorded(key)) return true;
        const sha256 = state.pending.get(key);
        return sha256 !== undefined && (await headObject(client, bucket, key))?.sha256 === sha256;
      }),
    ),
  );
  stale.forEach((key, i) => {
    if (!ours[i]) plan.foreign.push(key);
    else if (opts.withDeletes) plan.deletes.push(key);
  });
  plan.otherDeploys = others;
  // A key with a deploy's sha256 metadata was some site's public file (copied from another site):
  // anything else under the policy's patterns is someone's own, and must stay private.
  const covered = keysCoveredBy(opts.publicPatterns, plan.foreign);
  const deployed = await Promise.all(
    covered.map((key) => limit(async () => (await headObject(client, bucket, key))?.sha256 !== undefined)),
  );
  const exposed = covered.filter((_, i) => !deployed[i]);
  if (exposed.length > 0) throw new ExposedObjectError(exposed);
  return plan;
}
