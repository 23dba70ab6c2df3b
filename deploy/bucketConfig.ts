import {
  GetBucketCorsCommand,
  GetBucketPolicyCommand,
  GetBucketWebsiteCommand,
  GetPublicAccessBlockCommand,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
  PutBucketWebsiteCommand,
  PutPublicAccessBlockCommand,
  type CORSRule,
  type PublicAccessBlockConfiguration,
  type S3Client,
  type WebsiteConfiguration,
} from '@aws-sdk/client-s3';
import {
  decideWebsite,
  mergeCorsRules,
  mergePolicy,
  policyKeyPatterns,
  publicAccessBlockFor,
  publicReadStatement,
  statementResources,
} from './bucketSettings';
import { s3ErrorName } from '../storage/s3Errors';

interface BucketConfigTarget {
  client: S3Client;
  bucket: string;
  prefix: string;
  region: string;
  dryRun: boolean;
  /** Site paths the deploy publishes (`index.html`, `assets/…`, `data/…`): the policy covers these only. */
  sitePaths: string[];
  /** `--public-bucket`: a bucket-root deploy may make the whole bucket readable, when asked. */
  publicBucket: boolean;
  log: (line: string) => void;
}

/** S3-compatible servers (s3rver, some gateways) lack some bucket APIs; AWS itself has them all. */
function isUnsupported(err: unknown): boolean {
  return ['NotImplemented', 'MethodNotAllowed', 'XNotImplemented'].includes(s3ErrorName(err));
}

/** Reads a bucket setting; `missing` error names mean "not set", an unsupported API gives `unsupported`. */
async function readSetting<T>(
  read: () => Promise<T>,
  missing: string[],
): Promise<{ value: T | undefined; unsupported: boolean }> {
  try {
    return { value: await read(), unsupported: false };
  } catch (err) {
    if (missing.includes(s3ErrorName(err))) return { value: undefined, unsupported: false };
    if (isUnsupported(err)) return { value: undefined, unsupported: true };
    throw err;
  }
}

async function write(t: BucketConfigTarget, what: string, put: () => Promise<unknown>): Promise<void> {
  if (t.dryRun) {
    t.log(`would ${what}`);
    return;
  }
  try {
    await put();
    t.log(what);
  } catch (err) {
    if (!isUnsupported(err)) throw err;
    t.log(`warning: this endpoint does not implement the API to ${what}; skipped`);
  }
}

async function configureWebsite(t: BucketConfigTarget): Promise<void> {
  const { value, unsupported } = await readSetting<WebsiteConfiguration>(async () => {
    const r = await t.client.send(new GetBucketWebsiteCommand({ Bucket: t.bucket }));
    return {
      IndexDocument: r.IndexDocument,
      ErrorDocument: r.ErrorDocument,
      RedirectAllRequestsTo: r.RedirectAllRequestsTo,
    };
  }, ['NoSuchWebsiteConfiguration']);
  if (unsupported) {
    t.log('warning: this endpoint does not implement website hosting; skipped');
    return;
  }
  const decision = decideWebsite(value, t.prefix);
  if (decision.action === 'keep') {
    t.log('website hosting already serves index.html: left as it is');
    return;
  }
  await write(
    t,
    `enable website hosting (index index.html, error ${decision.config.ErrorDocument?.Key})`,
    () =>
      t.client.send(new PutBucketWebsiteCommand({ Bucket: t.bucket, WebsiteConfiguration: decision.config })),
  );
}

async function configureCors(t: BucketConfigTarget): Promise<void> {
  const { value, unsupported } = await readSetting<CORSRule[]>(
    async () => (await t.client.send(new GetBucketCorsCommand({ Bucket: t.bucket }))).CORSRules ?? [],
    ['NoSuchCORSConfiguration'],
  );
  if (unsupported) {
    t.log('warning: this endpoint does not implement CORS configuration; skipped');
    return;
  }
  const { rules, changed } = mergeCorsRules(value ?? []);
  if (!changed) {
    t.log('CORS rule for GET/HEAD with Range already present');
    return;
  }
  await write(t, 'add a CORS rule for GET/HEAD with Range from any origin', () =>
    t.client.send(new PutBucketCorsCommand({ Bucket: t.bucket, CORSConfiguration: { CORSRules: rules } })),
  );
}

/** What the policy step will write: worked out from reads alone, so that it can refuse before any write. */
interface PolicyChange {
  resources: string[];
  /** The public access block with the two policy switches off, when they are on now. */
  unblocked: PublicAccessBlockConfiguration | undefined;
  /** The merged policy, or undefined when the bucket's already holds our statement. */
  policy: string | undefined;
  /** The endpoint has no bucket policies. */
  unsupported: boolean;
}

/**
 * The key patterns the site's public-read statement covers. Bad options (`--public-bucket` with a
 * prefix) and names (wildcards, too many top-level files) throw here, before anything is written.
 */
export function sitePolicyPatterns(
  t: Pick<BucketConfigTarget, 'prefix' | 'sitePaths' | 'publicBucket'>,
): string[] {
  return policyKeyPatterns({ prefix: t.prefix, sitePaths: t.sitePaths, publicBucket: t.publicBucket });
}

async function planPolicy(t: BucketConfigTarget): Promise<PolicyChange> {
  const statement = publicReadStatement(t.bucket, t.prefix, t.region, sitePolicyPatterns(t));
  const resources = statementResources(statement);
  const block = await readSetting<PublicAccessBlockConfiguration>(
    async () =>
      (await t.client.send(new GetPublicAccessBlockCommand({ Bucket: t.bucket })))
        .PublicAccessBlockConfiguration ?? {},
    ['NoSuchPublicAccessBlockConfiguration'],
  );
  const current = await readSetting<string>(
    async () => (await t.client.send(new GetBucketPolicyCommand({ Bucket: t.bucket }))).Policy ?? '',
    ['NoSuchBucketPolicy'],
  );
  if (current.unsupported) return { resources, unblocked: undefined, policy: undefined, unsupported: true };
  const { policy, changed } = mergePolicy(current.value || undefined, statement);
  return {
    resources,
    unblocked: publicAccessBlockFor(block.value),
    policy: changed ? policy : undefined,
    unsupported: false,
  };
}

async function applyPolicy(t: BucketConfigTarget, change: PolicyChange): Promise<void> {
  const { resources } = change;
  t.log(`public read policy resources: ${resources.join(', ')}`);
  if (t.publicBucket) t.log(`warning: --public-bucket: every object in ${t.bucket} is readable by anyone`);
  if (change.unsupported) {
    t.log(
      'warning: this endpoint does not implement bucket policies; skipped (objects must be readable some other way)',
    );
    return;
  }
  const { unblocked, policy } = change;
  if (unblocked) {
    // Only the two policy switches: ACL-based public access stays blocked.
    await write(
      t,
      `allow public bucket policies on ${t.bucket} (BlockPublicPolicy, RestrictPublicBuckets off)`,
      () =>
        t.client.send(
          new PutPublicAccessBlockCommand({ Bucket: t.bucket, PublicAccessBlockConfiguration: unblocked }),
        ),
    );
  }
  if (policy === undefined) {
    t.log(`bucket policy already allows public GetObject on ${resources.join(', ')}`);
    return;
  }
  await write(t, `allow public GetObject on ${resources.join(', ')} in the bucket policy`, () =>
    t.client.send(new PutBucketPolicyCommand({ Bucket: t.bucket, Policy: policy })),
  );
}

/** The public-read statement of the site's keys, merged into the bucket policy. */
export async function configurePolicy(t: BucketConfigTarget): Promise<void> {
  await applyPolicy(t, await planPolicy(t));
}

/**
 * Website hosting, CORS and the public-read policy of the deploy's own bucket. It is done before any
 * upload so that a permission problem stops the deploy before it has changed anything visible.
 */
export async function configureBucket(t: BucketConfigTarget): Promise<void> {
  // The policy is worked out first: an option it refuses, or a bucket policy that is not valid JSON,
  // stops the deploy before website hosting or CORS has changed.
  const policy = await planPolicy(t);
  await configureWebsite(t);
  await configureCors(t);
  await applyPolicy(t, policy);
}
