import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { LocalFile } from './localFiles';
import { prepareBody } from './preparedBody';
import { publishRuleFor, type PublishRule } from './publishRules';
import { DEPLOY_STATE_FILE, stateSaysUnchanged, type DeployState } from './deployState';
import type { ListedObject } from '../storage/s3Listing';
import { headObject } from './storedHeaders';
import { objectKey } from './sitePrefix';

/** A local file with everything needed to decide whether, and how, it is uploaded. */
export interface PlannedFile {
  file: LocalFile;
  key: string;
  rule: PublishRule;
  sha256: string;
  size: number;
  storedSize: number;
  contentEncoding: 'gzip' | undefined;
}

export type UploadReason = 'new' | 'changed' | 'headers changed';

export interface DeployPlan {
  uploads: (PlannedFile & { reason: UploadReason })[];
  skips: PlannedFile[];
  /** Stale keys under the prefix that an earlier deploy wrote (they carry our sha256 metadata). */
  deletes: string[];
  /** Stale keys under the prefix that this prefix's deploys did not write: never deleted. */
  foreign: string[];
  /** Key prefixes (`demo/`) of other deploys found under ours: none of their keys is ever touched. */
  otherDeploys: string[];
}

/**
 * Prefixes of the other deploys whose state files the listing shows (a bucket-root deploy lists
 * every site in the bucket; a deploy to `demo` lists one to `demo/v2`).
 */
export function otherDeployPrefixes(keys: Iterable<string>, ownStateKey: string): string[] {
  const out: string[] = [];
  for (const key of keys) {
    if (key !== ownStateKey && key.endsWith(`/${DEPLOY_STATE_FILE}`)) {
      out.push(key.slice(0, key.length - DEPLOY_STATE_FILE.length));
    }
  }
  return out.sort();
}

/** Hashes every file and works out its stored body (gzip or not); the bodies themselves are not kept. */
export async function describeFiles(
  files: LocalFile[],
  prefix: string,
  concurrency: number,
): Promise<PlannedFile[]> {
  const limit = pLimit(concurrency);
  return Promise.all(
    files.map((file) =>
      limit(async () => {
        const rule = publishRuleFor(file.sitePath);
        const body = await prepareBody(file.localPath, rule.compressible);
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
 * Compares against what is stored. The listing's size rules most files in or out cheaply, the deploy
 * state (checked against the listed ETag) settles most of the rest, and a HEAD the remainder: it
 * confirms content (sha256 metadata) and every header we set, so a change of the header rules
 * re-uploads files whose bytes did not change.
 */
export async function planDeploy(opts: {
  client: S3Client;
  bucket: string;
  files: PlannedFile[];
  listed: Map<string, ListedObject>;
  state: DeployState;
  /** Keys under the prefix that are the deploy's own bookkeeping, never stale. */
  reserved: Set<string>;
  /** This prefix's deploy state key; other state files mark other deploys' prefixes. */
  ownStateKey: string;
  withDeletes: boolean;
  concurrency: number;
}): Promise<DeployPlan> {
  const { client, bucket, files, listed } = opts;
  const limit = pLimit(opts.concurrency);
  const plan: DeployPlan = { uploads: [], skips: [], deletes: [], foreign: [], otherDeploys: [] };
  const decisions = await Promise.all(
    files.map((f) =>
      limit(async (): Promise<UploadReason | 'unchanged'> => {
        const stored = listed.get(f.key);
        if (!stored) return 'new';
        if (stored.size !== f.storedSize) return 'changed';
        if (stateSaysUnchanged(opts.state, f, stored)) return 'unchanged';
        const head = await headObject(client, bucket, f.key);
        if (!head) return 'new';
        if (head.sha256 !== f.sha256) return 'changed';
        const same =
          head.contentType === f.rule.contentType &&
          head.cacheControl === f.rule.cacheControl &&
          head.contentEncoding === f.contentEncoding;
        return same ? 'unchanged' : 'headers changed';
      }),
    ),
  );
  files.forEach((f, i) => {
    const d = decisions[i];
    if (d === 'unchanged') plan.skips.push(f);
    else plan.uploads.push({ ...f, reason: d });
  });
  if (opts.withDeletes) {
    const wanted = new Set(files.map((f) => f.key));
    const others = otherDeployPrefixes(listed.keys(), opts.ownStateKey);
    const stale = [...listed.keys()]
      .filter((k) => !wanted.has(k) && !opts.reserved.has(k) && !others.some((p) => k.startsWith(p)))
      .sort();
    // Only what this prefix's own deploy state records, with the ETag it still has: a key written
    // by anyone or anything else since (another deploy, a hand upload) is never ours to delete.
    for (const key of stale) {
      const recorded = opts.state.get(key);
      const ours = recorded !== undefined && recorded.etag === listed.get(key)?.etag;
      (ours ? plan.deletes : plan.foreign).push(key);
    }
    plan.otherDeploys = others;
  }
  return plan;
}
