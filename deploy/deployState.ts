import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PlannedFile } from './deployPlan';
import type { ListedObject } from '../storage/s3Listing';
import { objectKey } from './sitePrefix';

/**
 * What the last completed deploy stored, per key: lets the next one skip unchanged files without a
 * HEAD per object (a demo collection has tens of thousands of thumbnails). An entry is trusted only
 * while the object's ETag in the listing is still the one recorded, so an object rewritten by anyone
 * else since falls back to a HEAD. Nothing in it is secret: it describes public objects.
 */
export const DEPLOY_STATE_FILE = '.lookalike-deploy-state.json';
const STATE_VERSION = 1;

export interface StoredEntry {
  etag: string;
  sha256: string;
  contentType: string;
  cacheControl: string;
  contentEncoding: string | null;
}

export type DeployState = Map<string, StoredEntry>;

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
): Promise<DeployState> {
  let text: string;
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: deployStateKey(prefix) }));
    text = (await r.Body?.transformToString()) ?? '';
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return new Map();
    throw err;
  }
  try {
    const json = JSON.parse(text) as { version?: unknown; objects?: Record<string, unknown> };
    if (json.version !== STATE_VERSION || typeof json.objects !== 'object' || json.objects === null)
      return new Map();
    return new Map(Object.entries(json.objects).filter((kv): kv is [string, StoredEntry] => isEntry(kv[1])));
  } catch {
    return new Map();
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
 * Records every published file as now stored, with the ETags of a listing taken after the uploads,
 * and keeps the entries of earlier deploys whose objects are still there unchanged (stale files a
 * deploy without --delete left): that record is what a later --delete may remove, and nothing else.
 */
export async function writeDeployState(opts: {
  client: S3Client;
  bucket: string;
  prefix: string;
  files: PlannedFile[];
  listed: Map<string, ListedObject>;
  previous: DeployState;
}): Promise<void> {
  const objects: Record<string, StoredEntry> = {};
  for (const [key, entry] of opts.previous) {
    if (opts.listed.get(key)?.etag === entry.etag) objects[key] = entry;
  }
  for (const f of opts.files) {
    const etag = opts.listed.get(f.key)?.etag;
    if (etag === undefined) continue;
    objects[f.key] = {
      etag,
      sha256: f.sha256,
      contentType: f.rule.contentType,
      cacheControl: f.rule.cacheControl,
      contentEncoding: f.contentEncoding ?? null,
    };
  }
  await opts.client.send(
    new PutObjectCommand({
      Bucket: opts.bucket,
      Key: deployStateKey(opts.prefix),
      Body: JSON.stringify({ version: STATE_VERSION, objects }),
      ContentType: 'application/json',
      CacheControl: 'no-cache',
    }),
  );
}
