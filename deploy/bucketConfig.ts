import {
  DeleteBucketCorsCommand,
  DeleteBucketPolicyCommand,
  DeleteBucketWebsiteCommand,
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
import { s3ErrorName, s3ErrorStatus } from '../storage/s3Errors';

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

function isDenied(err: unknown): boolean {
  return s3ErrorName(err) === 'AccessDenied' || s3ErrorStatus(err) === 403;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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

/**
 * One write to a bucket setting, with what puts the setting back as it was read. Every setting is
 * read before the first write, so a deploy that is refused one of them can undo the others.
 */
interface BucketChange {
  /** What the log says it does (`enable website hosting (…)`). */
  what: string;
  /** The call, for an error: `putting the bucket policy`. */
  call: string;
  /** What a refusal of this call usually means, and what to do about it. */
  deniedHint: string;
  put: () => Promise<unknown>;
  undo: {
    /** What undoing did, for the error message: `put back the public access block`. */
    done: string;
    /** What is left changed when undoing fails. */
    left: string;
    run: () => Promise<unknown>;
  };
}

const NO_CONFIGURE_HINT = 'or pass --no-configure and set up website hosting, CORS and read access yourself';

async function planWebsite(t: BucketConfigTarget): Promise<BucketChange | undefined> {
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
    return undefined;
  }
  const decision = decideWebsite(value, t.prefix);
  if (decision.action === 'keep') {
    t.log('website hosting already serves index.html: left as it is');
    return undefined;
  }
  // decideWebsite puts a configuration only where the bucket had none: undoing it removes it.
  return {
    what: `enable website hosting (index index.html, error ${decision.config.ErrorDocument?.Key})`,
    call: 'putting the website configuration',
    deniedHint: `The credentials need s3:PutBucketWebsite, ${NO_CONFIGURE_HINT}.`,
    put: () =>
      t.client.send(new PutBucketWebsiteCommand({ Bucket: t.bucket, WebsiteConfiguration: decision.config })),
    undo: {
      done: 'turned website hosting off again',
      left: 'website hosting is on',
      run: () => t.client.send(new DeleteBucketWebsiteCommand({ Bucket: t.bucket })),
    },
  };
}

async function planCors(t: BucketConfigTarget): Promise<BucketChange | undefined> {
  const { value, unsupported } = await readSetting<CORSRule[]>(
    async () => (await t.client.send(new GetBucketCorsCommand({ Bucket: t.bucket }))).CORSRules ?? [],
    ['NoSuchCORSConfiguration'],
  );
  if (unsupported) {
    t.log('warning: this endpoint does not implement CORS configuration; skipped');
    return undefined;
  }
  const previous = value ?? [];
  const { rules, changed } = mergeCorsRules(previous);
  if (!changed) {
    t.log('CORS rule for GET/HEAD with Range already present');
    return undefined;
  }
  return {
    what: 'add a CORS rule for GET/HEAD with Range from any origin',
    call: 'putting the CORS configuration',
    deniedHint: `The credentials need s3:PutBucketCORS, ${NO_CONFIGURE_HINT}.`,
    put: () =>
      t.client.send(new PutBucketCorsCommand({ Bucket: t.bucket, CORSConfiguration: { CORSRules: rules } })),
    undo:
      previous.length === 0
        ? {
            done: 'removed the CORS configuration again',
            left: `the CORS rule ${rules[rules.length - 1].ID} is there`,
            run: () => t.client.send(new DeleteBucketCorsCommand({ Bucket: t.bucket })),
          }
        : {
            done: 'put back the earlier CORS rules',
            left: "the CORS rules include this deploy's",
            run: () =>
              t.client.send(
                new PutBucketCorsCommand({ Bucket: t.bucket, CORSConfiguration: { CORSRules: previous } }),
              ),
          },
  };
}

/** What the policy step will write: worked out from reads alone, so that it can refuse before any write. */
interface PolicyChange {
  resources: string[];
  sid: string;
  /** The public access block as read (undefined: none), and with the two policy switches off when they are on. */
  block: PublicAccessBlockConfiguration | undefined;
  unblocked: PublicAccessBlockConfiguration | undefined;
  /** The merged policy, or undefined when the bucket's already holds our statement. */
  policy: string | undefined;
  /** Our statement in the bucket's policy as it was (to put it back). */
  previousStatement: unknown;
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

type PolicyDoc = { Version?: string; Statement?: unknown };

function statementsOf(doc: PolicyDoc): Record<string, unknown>[] {
  return (Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : []) as Record<
    string,
    unknown
  >[];
}

async function readPolicy(
  t: BucketConfigTarget,
): Promise<{ value: string | undefined; unsupported: boolean }> {
  const read = await readSetting<string>(
    async () => (await t.client.send(new GetBucketPolicyCommand({ Bucket: t.bucket }))).Policy ?? '',
    ['NoSuchBucketPolicy'],
  );
  return { value: read.value || undefined, unsupported: read.unsupported };
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
  const current = await readPolicy(t);
  const none = {
    resources,
    sid: statement.Sid,
    block: undefined,
    unblocked: undefined,
    policy: undefined,
    previousStatement: undefined,
  };
  if (current.unsupported) return { ...none, unsupported: true };
  // mergePolicy refuses a policy that is not JSON, so the parse below cannot fail.
  const { policy, changed } = mergePolicy(current.value, statement);
  const previousStatement = current.value
    ? statementsOf(JSON.parse(current.value) as PolicyDoc).find((s) => s.Sid === statement.Sid)
    : undefined;
  return {
    ...none,
    block: block.value,
    unblocked: publicAccessBlockFor(block.value),
    policy: changed ? policy : undefined,
    previousStatement,
    unsupported: false,
  };
}

/**
 * Takes this deploy's statement back out of the bucket policy as it is now (another deploy may have
 * added its own meanwhile), putting back the one it replaced, if any.
 */
async function undoPolicy(t: BucketConfigTarget, change: PolicyChange): Promise<void> {
  const now = await readPolicy(t);
  const doc = now.value ? (JSON.parse(now.value) as PolicyDoc) : {};
  const others = statementsOf(doc).filter((s) => s.Sid !== change.sid);
  const statements =
    change.previousStatement === undefined
      ? others
      : [...others, change.previousStatement as Record<string, unknown>];
  // A policy with no statement grants nothing (and S3 refuses to store one): none is what there was.
  if (statements.length === 0) {
    await t.client.send(new DeleteBucketPolicyCommand({ Bucket: t.bucket }));
    return;
  }
  await t.client.send(
    new PutBucketPolicyCommand({
      Bucket: t.bucket,
      Policy: JSON.stringify({ ...doc, Statement: statements }),
    }),
  );
}

/** The writes of the policy step, in the order they must go: the public access block, then the policy. */
function policyChanges(t: BucketConfigTarget, change: PolicyChange): BucketChange[] {
  const { resources } = change;
  t.log(`public read policy resources: ${resources.join(', ')}`);
  if (t.publicBucket) t.log(`warning: --public-bucket: every object in ${t.bucket} is readable by anyone`);
  if (change.unsupported) {
    t.log(
      'warning: this endpoint does not implement bucket policies; skipped (objects must be readable some other way)',
    );
    return [];
  }
  const changes: BucketChange[] = [];
  const { block, unblocked, policy } = change;
  if (unblocked && block) {
    // Only the two policy switches: ACL-based public access stays blocked.
    changes.push({
      what: `allow public bucket policies on ${t.bucket} (BlockPublicPolicy, RestrictPublicBuckets off)`,
      call: 'putting the public access block',
      deniedHint: `The credentials need s3:PutBucketPublicAccessBlock, ${NO_CONFIGURE_HINT}.`,
      put: () =>
        t.client.send(
          new PutPublicAccessBlockCommand({ Bucket: t.bucket, PublicAccessBlockConfiguration: unblocked }),
        ),
      undo: {
        done: 'put back the public access block',
        left: 'BlockPublicPolicy and RestrictPublicBuckets are off',
        run: () =>
          t.client.send(
            new PutPublicAccessBlockCommand({ Bucket: t.bucket, PublicAccessBlockConfiguration: block }),
          ),
      },
    });
  }
  if (policy === undefined) {
    t.log(`bucket policy already allows public GetObject on ${resources.join(', ')}`);
    return changes;
  }
  changes.push({
    what: `allow public GetObject on ${resources.join(', ')} in the bucket policy`,
    call: 'putting the bucket policy',
    deniedHint:
      'Block Public Access on the account refuses public bucket policies (turn BlockPublicPolicy off there, ' +
      'or serve the bucket through CloudFront), or the credentials lack s3:PutBucketPolicy; ' +
      `${NO_CONFIGURE_HINT}.`,
    put: () => t.client.send(new PutBucketPolicyCommand({ Bucket: t.bucket, Policy: policy })),
    undo: {
      done:
        change.previousStatement === undefined
          ? "took this deploy's statement out of the bucket policy again"
          : 'put back the earlier statement of this prefix in the bucket policy',
      left: `the bucket policy holds statement ${change.sid}`,
      run: () => undoPolicy(t, change),
    },
  });
  return changes;
}

/**
 * Makes the changes in order. When one fails, those already made are undone, last first, so that a
 * refused call leaves the bucket as it was; the error names the call and says what was put back.
 */
async function applyChanges(t: BucketConfigTarget, changes: BucketChange[]): Promise<void> {
  if (t.dryRun) {
    for (const c of changes) t.log(`would ${c.what}`);
    return;
  }
  const made: BucketChange[] = [];
  for (const c of changes) {
    try {
      await c.put();
    } catch (err) {
      if (isUnsupported(err)) {
        t.log(`warning: this endpoint does not implement the API to ${c.what}; skipped`);
        continue;
      }
      throw new Error(await failure(t, c, err, made), { cause: err });
    }
    t.log(c.what);
    made.push(c);
  }
}

async function failure(
  t: BucketConfigTarget,
  c: BucketChange,
  err: unknown,
  made: BucketChange[],
): Promise<string> {
  const done: string[] = [];
  const left: string[] = [];
  for (const m of [...made].reverse()) {
    try {
      await m.undo.run();
      t.log(m.undo.done);
      done.push(m.undo.done);
    } catch (undoErr) {
      left.push(`${m.undo.left} (putting it back failed: ${describeError(undoErr)})`);
    }
  }
  const denied = isDenied(err);
  const head = `${c.call} ${denied ? 'was denied' : 'failed'}: ${describeError(err)}.`;
  let after: string;
  if (made.length === 0) after = 'Nothing had been changed yet.';
  else if (left.length === 0) after = `The bucket was left as it was (${done.join('; ')}).`;
  else
    after =
      `Could not undo everything: ${left.join('; ')}. Set it back by hand` +
      (done.length > 0 ? ` (${done.join('; ')}).` : '.');
  return [head, after, ...(denied ? [c.deniedHint] : [])].join(' ');
}

/** The public-read statement of the site's keys, merged into the bucket policy. */
export async function configurePolicy(t: BucketConfigTarget): Promise<void> {
  await applyChanges(t, policyChanges(t, await planPolicy(t)));
}

/**
 * Website hosting, CORS and the public-read policy of the deploy's own bucket. It is done before any
 * upload so that a permission problem stops the deploy before it has changed anything visible: every
 * setting is read first (an option the policy refuses, a policy that is not JSON or a website setup
 * that is someone else's stops it here), then the writes go with the one most often refused first.
 * That is the policy (account-level Block Public Access, or no s3:PutBucketPolicy); it needs the
 * bucket's public access block lifted before it, so that goes first of all. A refused write undoes
 * the ones before it.
 */
export async function configureBucket(t: BucketConfigTarget): Promise<void> {
  const policy = await planPolicy(t);
  const website = await planWebsite(t);
  const cors = await planCors(t);
  const changes = [...policyChanges(t, policy), website, cors].filter(
    (c): c is BucketChange => c !== undefined,
  );
  await applyChanges(t, changes);
}
