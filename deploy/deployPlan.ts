import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { LocalFile } from './localFiles';
import { prepareBody } from './preparedBody';
import { publishRuleFor, type PublishRule } from './publishRules';
import { stateSaysUnchanged, type DeployState } from './deployState';
import { headObject, type ListedObject } from './remoteObjects';
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
  /** Stale keys under the prefix that no deploy of ours wrote: never deleted. */
  foreign: string[];
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
  withDeletes: boolean;
  concurrency: number;
}): Promise<DeployPlan> {
  const { client, bucket, files, listed } = opts;
  const limit = pLimit(opts.concurrency);
  const plan: DeployPlan = { uploads: [], skips: [], deletes: [], foreign: [] };
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
    const stale = [...listed.keys()].filter((k) => !wanted.has(k) && !opts.reserved.has(k)).sort();
    // Recorded in the deploy state with the listed ETag: ours without asking. Otherwise the
    // object's sha256 metadata says whether a deploy wrote it.
    const ours = await Promise.all(
      stale.map((key) =>
        limit(async () => {
          const recorded = opts.state.get(key);
          if (recorded !== undefined && recorded.etag === listed.get(key)?.etag) return true;
          return (await headObject(client, bucket, key))?.sha256 !== undefined;
        }),
      ),
    );
    stale.forEach((key, i) => (ours[i] ? plan.deletes : plan.foreign).push(key));
  }
  return plan;
}
