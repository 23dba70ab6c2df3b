import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { resolve } from 'node:path';
import { deleteKeys } from '../storage/s3Deletion';
import { listObjects } from '../storage/s3Listing';
import { s3ClientFor } from '../storage/s3ClientFor';
import { missingCredentialsMessage, s3ErrorName, s3ErrorStatus } from '../storage/s3Errors';
import { configureBucket, configurePolicy, sitePolicyPatterns } from './bucketConfig';
import { planDeploy, type DeployPlan, type PlannedFile } from './deployPlan';
import { DeployLock, deployLockKey } from './deployLock';
import { deployStateKey, readDeployState, writeDeployState, writePendingState } from './deployState';
import { formatBytes } from '../core/formatBytes';
import { DEFAULT_PART_SIZE } from './objectUpload';
import { uploadInPhases } from './phasedUpload';
import { PHASE_NAMES } from './publishRules';
import { assertDataDirReady } from './publishedDataSet';
import { describePublication } from './publication';
import { DEFAULT_FILE_RETRY, type RetryPolicy } from './retry';
import { ensureSiteBuilt } from './siteBuild';
import { listingPrefix } from './sitePrefix';
import { siteUrls, type SiteUrls } from './siteUrls';
import { createUploadProgress } from './uploadProgress';

export interface DeployOptions {
  bucket: string;
  /** Already normalised by parseSitePrefix. */
  prefix: string;
  region?: string;
  endpoint?: string;
  siteDir: string;
  dataDir: string;
  /** Run `npm run build` in projectDir when siteDir has no index.html (only for the project's own dist/). */
  buildSiteIfMissing: boolean;
  projectDir: string;
  dryRun: boolean;
  deleteStale: boolean;
  configure: boolean;
  /** `--public-bucket`: let a bucket-root deploy make the whole bucket publicly readable. */
  publicBucket?: boolean;
  concurrency: number;
  fileRetry?: RetryPolicy;
  sdkMaxAttempts?: number;
  partSize?: number;
  log: (line: string) => void;
  /** Where a progress bar may be drawn; a non-TTY (or none) gets one line per file. */
  progressStream?: NodeJS.WriteStream;
  /** `--break-lock`: take the prefix's deploy lock even from a deploy that seems to be running. */
  breakLock?: boolean;
  /** How long a deploy lock lasts without renewal (DEFAULT_LOCK_LEASE_MS). */
  lockLeaseMs?: number;
}

export interface DeployReport {
  plan: DeployPlan;
  urls: SiteUrls;
  region: string;
  /** Bytes of the uploaded files on disk, and as stored (after gzip). */
  uploadedBytes: number;
  storedBytes: number;
  gzip: { files: number; bytes: number; storedBytes: number };
  deleted: string[];
  refusedDeletes: { key: string; message: string }[];
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Confirms the bucket is there and ours to write, and finds the region its URLs are in. */
async function bucketRegion(client: S3Client, bucket: string, fallback: string): Promise<string> {
  try {
    const r = await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return r.BucketRegion ?? fallback;
  } catch (err) {
    const name = s3ErrorName(err);
    const status = s3ErrorStatus(err);
    if (name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
      throw new Error(
        `bucket '${bucket}' does not exist; create it first, e.g. aws s3 mb s3://${bucket} --region ${fallback}`,
        { cause: err },
      );
    }
    if (status === 403) {
      throw new Error(`the current AWS credentials may not access bucket '${bucket}'`, { cause: err });
    }
    const missing = missingCredentialsMessage(err);
    if (missing !== undefined) throw new Error(missing, { cause: err });
    throw err;
  }
}

async function clientRegion(client: S3Client): Promise<string> {
  try {
    return await client.config.region();
  } catch (err) {
    throw new Error('no AWS region: pass --region or set AWS_REGION', { cause: err });
  }
}

export async function runDeploy(o: DeployOptions): Promise<DeployReport> {
  const log = o.log;
  const siteDir = resolve(o.siteDir);
  const dataDir = resolve(o.dataDir);
  await assertDataDirReady(dataDir, log);
  const siteReady = await ensureSiteBuilt({
    siteDir,
    buildable: o.buildSiteIfMissing,
    projectDir: o.projectDir,
    dryRun: o.dryRun,
    log,
  });

  const files = await describePublication({
    siteDir: siteReady ? siteDir : undefined,
    dataDir,
    prefix: o.prefix,
    concurrency: o.concurrency,
    log,
  });

  let client = s3ClientFor({ region: o.region, endpoint: o.endpoint, maxAttempts: o.sdkMaxAttempts ?? 5 });
  try {
    const configuredRegion = await clientRegion(client);
    const region = await bucketRegion(client, o.bucket, configuredRegion);
    if (region !== configuredRegion && !o.endpoint) {
      log(`bucket '${o.bucket}' is in ${region}; using that region`);
      client.destroy();
      client = s3ClientFor({ region, endpoint: o.endpoint, maxAttempts: o.sdkMaxAttempts ?? 5 });
    }
    if (o.dryRun) return await publish(o, client, region, files, siteReady, null);
    const lock = await DeployLock.acquire({
      client,
      bucket: o.bucket,
      prefix: o.prefix,
      leaseMs: o.lockLeaseMs,
      breakLock: o.breakLock,
      log,
    });
    try {
      return await publish(o, client, region, files, siteReady, lock);
    } finally {
      await lock
        .release()
        .catch((err: unknown) =>
          log(
            `warning: could not remove the deploy lock ${lock.key}: ${describeError(err)}. ` +
              'Once its lease lapses the next deploy takes it over; --break-lock takes it at once.',
          ),
        );
    }
  } finally {
    // Frees keep-alive sockets, so that a caller (or a test's server) is not held open by them.
    client.destroy();
  }
}

/** The site paths (`index.html`, `data/…`) of keys under the prefix. */
function sitePathsOf(keys: Iterable<string>, prefix: string): string[] {
  const under = listingPrefix(prefix);
  return [...keys].filter((k) => k.startsWith(under)).map((k) => k.slice(under.length));
}

async function publish(
  o: DeployOptions,
  client: S3Client,
  region: string,
  files: PlannedFile[],
  siteReady: boolean,
  lock: DeployLock | null,
): Promise<DeployReport> {
  const log = o.log;
  const where = `s3://${o.bucket}/${listingPrefix(o.prefix)}`;
  log(
    `${o.dryRun ? 'dry run: ' : ''}deploying ${files.length} files to ${where}${o.endpoint ? ` at ${o.endpoint}` : ''}`,
  );

  const state = await readDeployState(client, o.bucket, o.prefix);
  const recordedKeys = [...state.objects.keys(), ...state.pending.keys()];
  const bucketTarget = {
    client,
    bucket: o.bucket,
    prefix: o.prefix,
    region,
    dryRun: o.dryRun,
    publicBucket: o.publicBucket ?? false,
    log,
  };
  // Until the new page is up, the policy keeps the keys earlier deploys wrote readable too: the site
  // visitors get meanwhile is the previous one (a deploy killed here must leave it working).
  const configTarget = {
    ...bucketTarget,
    sitePaths: [...new Set([...files.map((f) => f.file.sitePath), ...sitePathsOf(recordedKeys, o.prefix)])],
  };
  // Options the policy refuses fail here, before the bucket is changed at all.
  const policyPatterns = o.configure ? sitePolicyPatterns(configTarget) : [];

  const listed = await listObjects(client, o.bucket, listingPrefix(o.prefix));
  const plan = await planDeploy({
    client,
    bucket: o.bucket,
    files,
    listed,
    state,
    reserved: new Set([deployStateKey(o.prefix), deployLockKey(o.prefix)]),
    // Without the site's file list every site key would look stale.
    withDeletes: o.deleteStale && siteReady,
    // `--public-bucket` is the person asking for every object in the bucket to be public.
    publicPatterns: o.publicBucket ? [] : policyPatterns,
    concurrency: o.concurrency,
  });
  if (o.configure) await configureBucket(configTarget);

  const uploadedBytes = plan.uploads.reduce((n, f) => n + f.size, 0);
  const storedBytes = plan.uploads.reduce((n, f) => n + f.storedSize, 0);
  const gzipped = plan.uploads.filter((f) => f.contentEncoding === 'gzip');
  const gzip = {
    files: gzipped.length,
    bytes: gzipped.reduce((n, f) => n + f.size, 0),
    storedBytes: gzipped.reduce((n, f) => n + f.storedSize, 0),
  };
  const report: DeployReport = {
    plan,
    urls: siteUrls({ bucket: o.bucket, region, prefix: o.prefix, endpoint: o.endpoint }),
    region,
    uploadedBytes,
    storedBytes,
    gzip,
    deleted: [],
    refusedDeletes: [],
  };

  if (o.dryRun) {
    for (const f of plan.uploads) {
      const enc = f.contentEncoding ? `, gzip ${formatBytes(f.storedSize)}` : '';
      log(`would upload ${f.key} (${f.reason}, ${formatBytes(f.size)}${enc}; ${PHASE_NAMES[f.rule.phase]})`);
    }
    for (const f of plan.skips) log(`would skip ${f.key} (unchanged)`);
    for (const key of plan.deletes) log(`would delete ${key} (stale)`);
    for (const key of plan.foreign) log(`would keep ${key} (stale, but not recorded by a deploy here)`);
    for (const p of plan.otherDeploys) log(`would leave ${p} alone (another deploy)`);
    if (!o.deleteStale && listed.size > 0) log('stale keys are kept (no --delete)');
    return report;
  }

  if (plan.uploads.length > 0) {
    await writePendingState({
      client,
      bucket: o.bucket,
      prefix: o.prefix,
      uploads: plan.uploads,
      previous: state,
    });
  }
  const progress = createUploadProgress(o.progressStream, log);
  progress.start(plan.uploads.length, storedBytes);
  try {
    await uploadInPhases(
      {
        client,
        bucket: o.bucket,
        concurrency: o.concurrency,
        retry: o.fileRetry ?? DEFAULT_FILE_RETRY,
        partSize: o.partSize ?? DEFAULT_PART_SIZE,
        progress,
        // A deploy that lost its lock stops before it switches visitors to anything.
        beforePhase: lock ? () => lock.check() : undefined,
      },
      plan.uploads,
    );
  } finally {
    progress.stop();
  }

  // Another deploy that took over a lapsed lock meanwhile may have published files this plan thinks stale.
  await lock?.check();
  if (plan.deletes.length > 0) {
    report.refusedDeletes = await deleteKeys(client, o.bucket, plan.deletes, Math.min(o.concurrency, 4));
    const refused = new Set(report.refusedDeletes.map((r) => r.key));
    report.deleted = plan.deletes.filter((k) => !refused.has(k));
  }
  for (const key of plan.foreign) log(`kept ${key}: stale, but not recorded by a deploy here`);
  for (const p of plan.otherDeploys) log(`left ${p} alone: another deploy`);
  const after = await listObjects(client, o.bucket, listingPrefix(o.prefix));
  await lock?.check();
  await writeDeployState({
    client,
    bucket: o.bucket,
    prefix: o.prefix,
    files,
    listed: after,
    previous: state,
  });
  // Now the policy covers this site and what earlier deploys left standing (no --delete), no more;
  // merged again, it also restores a statement that a deploy to another prefix overwrote meanwhile.
  if (o.configure) {
    const deleted = new Set(report.deleted);
    const standing = recordedKeys.filter((k) => after.has(k) && !deleted.has(k));
    await configurePolicy({
      ...bucketTarget,
      sitePaths: [...new Set([...files.map((f) => f.file.sitePath), ...sitePathsOf(standing, o.prefix)])],
    });
  }
  return report;
}
