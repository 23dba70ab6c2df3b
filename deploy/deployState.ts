import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PlannedFile } from './deployPlan';
import type { ListedObject } from '../storage/s3Listing';
import { objectKey } from './sitePrefix';

/**
 * What the last completed deploy stored, per key: lets the next one skip unchanged files without a
 * HEAD per object (a demo collection has tens of thousands of thumbnails). An entry is trusted only
 * while the object's ETag in the listing is still the one recorded, so an object rewritten by anyone
 * else since falls back to a HEAD. `pending` names, with their sha256, the keys a deploy was about to
 * upload, written before its first upload: a deploy killed midway has no ETags to record, and without
 * this its files were nobody's, kept by every later `--delete`. Nothing in it is secret: it describes
 * public objects.
 */
export const DEPLOY_STATE_FILE = '.lookalike-deploy-state.json';
const STATE_VERSION = 1;

interface StoredEntry {
  etag: string;
  sha256: string;
  contentType: string;
  cacheControl: string;
  contentEncoding: string | null;
}

type DeployState = Map<string, StoredEntry>;

/** The state file: what completed deploys stored, and what a deploy that did not finish meant to. */
export interface DeployRecord {
  objects: DeployState;
  /** Key → sha256 of the body an unfinished deploy uploaded there (its `x-amz-meta-sha256`). */
  pending: Map<string, string>;
}

export function deployStateKey(prefix: string): string {
  return objectKey(prefix, DEPLOY_STATE_FILE);
}

function isEntry(v: unknown): v is StoredEntry {
  const e = v as StoredEntry;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.etag === 'string' &&
    typeof e.sha256 === 'string' &&
    typeof e.contentType === 'string' &&
    typeof e.cacheControl === 'string' &&
    (typeof e.contentEncoding === 'string' || e.contentEncoding === null)
  );
}

/** An unreadable or foreign state is treated as none: it only costs HEAD requests. */
export async function readDeployState(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<DeployRecord> {
  const none: DeployRecord = { objects: new Map(), pending: new Map() };
  let text: string;
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: deployStateKey(prefix) }));
    text = (await r.Body?.transformToString()) ?? '';
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return none;
    throw err;
  }
  try {
    const json = JSON.parse(text) as {
      version?: unknown;
      objects?: Record<string, unknown>;
      pending?: Record<string, unknown>;
    };
    if (json.version !== STATE_VERSION || typeof json.objects !== 'object' || json.objects === null)
      return none;
    const pending = typeof json.pending === 'object' && json.pending !== null ? json.pending : {};
    return {
      objects: new Map(
        Object.entries(json.objects).filter((kv): kv is [string, StoredEntry] => isEntry(kv[1])),
      ),
      pending: new Map(
        Object.entries(pending).filter(
          (kv): kv is [string, string] => typeof kv[1] === 'string' && /^[0-9a-f]{64}$/.test(kv[1]),
        ),
      ),
    };
  } catch {
    return none;
  }
}

/** True when the recorded entry still describes the stored object and is what we would upload. */
export function stateSaysUnchanged(state: DeployState, f: PlannedFile, listed: ListedObject): boolean {
  const e = state.get(f.key);
  return (
    e !== undefined &&
    listed.etag !== undefined &&
    e.etag === listed.etag &&
    e.sha256 === f.sha256 &&
    e.contentType === f.rule.contentType &&
    e.cacheControl === f.rule.cacheControl &&
    e.contentEncoding === (f.contentEncoding ?? null)
  );
}

/**
 * Before the first upload: the earlier record as it was, plus every key this deploy is about to
 * write, so that a deploy killed midway leaves its files recorded as a deploy's (see DeployRecord).
 */
export async function writePendingState(opts: {
  client: S3Client;
  bucket: string;
  prefix: string;
  uploads: PlannedFile[];
  previous: DeployRecord;
}): Promise<void> {
  const pending = new Map(opts.previous.pending);
  for (const f of opts.uploads) pending.set(f.key, f.sha256);
  await putState(opts.client, opts.bucket, opts.prefix, opts.previous.objects, pending);
}

/**
 * Records every published file as now stored, with the ETags of a listing taken after the uploads,
 * and keeps the entries of earlier deploys whose objects are still there unchanged (stale files a
 * deploy without --delete left), and the pending keys of unfinished deploys that are still there:
 * that record is what a later --delete may remove, and nothing else.
 */
export async function writeDeployState(opts: {
  client: S3Client;
  bucket: string;
  prefix: string;
  files: PlannedFile[];
  listed: Map<string, ListedObject>;
  previous: DeployRecord;
}): Promise<void> {
  const objects: DeployState = new Map();
  for (const [key, entry] of opts.previous.objects) {
    if (opts.listed.get(key)?.etag === entry.etag) objects.set(key, entry);
  }
  for (const f of opts.files) {
    const etag = opts.listed.get(f.key)?.etag;
    if (etag === undefined) continue;
    objects.set(f.key, {
      etag,
      sha256: f.sha256,
      contentType: f.rule.contentType,
      cacheControl: f.rule.cacheControl,
      contentEncoding: f.contentEncoding ?? null,
    });
  }
  const pending = new Map<string, string>();
  for (const [key, sha256] of opts.previous.pending) {
    if (!objects.has(key) && opts.listed.has(key)) pending.set(key, sha256);
  }
  await putState(opts.client, opts.bucket, opts.prefix, objects, pending);
}

async function putState(
  client: S3Client,
  bucket: string,
  prefix: string,
  objects: DeployState,
  pending: Map<string, string>,
): Promise<void> {
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: deployStateKey(prefix),
      Body: JSON.stringify({
        version: STATE_VERSION,
        objects: Object.fromEntries(objects),
        pending: Object.fromEntries(pending),
      }),
      ContentType: 'application/json',
      CacheControl: 'no-cache',
    }),
  );
}
