import { createHash } from 'node:crypto';
import type { CORSRule, PublicAccessBlockConfiguration, WebsiteConfiguration } from '@aws-sdk/client-s3';
import { POLICY_SPECIAL } from './sitePrefix';

/**
 * Pure decisions about bucket-level settings: what a deploy wants and how to merge it into what the
 * bucket already has without disturbing anyone else's settings on that bucket.
 */

function partitionFor(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: '*';
  Action: 's3:GetObject';
  Resource: string | string[];
}

/**
 * The object keys a site's public read covers, as policy patterns: each top-level file of the site
 * exactly (`index.html`, `sw.js`…) and each top-level folder as `folder/*` (`assets/*`, `data/*`),
 * under the prefix. Nothing else in the bucket, not even other keys under the prefix, becomes public.
 */
export function siteKeyPatterns(prefix: string, sitePaths: Iterable<string>): string[] {
  const under = prefix ? `${prefix}/` : '';
  const patterns = new Set<string>();
  for (const path of sitePaths) {
    const slash = path.indexOf('/');
    const top = slash < 0 ? path : path.slice(0, slash);
    if (POLICY_SPECIAL.test(top)) {
      throw new Error(
        `the site's top-level ${slash < 0 ? 'file' : 'folder'} '${top}' has * ? or $ in its name, which a bucket policy reads as a wildcard or variable: rename it`,
      );
    }
    patterns.add(under + (slash < 0 ? path : `${top}/*`));
  }
  return [...patterns].sort();
}

/** Patterns for `--public-bucket`: the whole bucket. Only for a bucket-root deploy, and only when asked. */
const WHOLE_BUCKET = ['*'];

/**
 * What the deploy's public-read statement covers: the site's own keys, or the whole bucket when the
 * person deploying to the bucket root asked for it with `--public-bucket`.
 */
export function policyKeyPatterns(o: {
  prefix: string;
  sitePaths: Iterable<string>;
  publicBucket: boolean;
}): string[] {
  if (!o.publicBucket) return siteKeyPatterns(o.prefix, o.sitePaths);
  if (o.prefix) {
    throw new Error(
      `--public-bucket makes the whole bucket public; it is refused with --prefix '${o.prefix}'`,
    );
  }
  return WHOLE_BUCKET;
}

/**
 * The keys that a statement over `patterns` (exact keys, `folder/*`, or `*`: what policyKeyPatterns
 * returns) lets anyone read.
 */
export function keysCoveredBy(patterns: readonly string[], keys: Iterable<string>): string[] {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const under = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return [...keys].filter((k) => exact.has(k) || under.some((u) => k.startsWith(u)));
}

/** A bucket policy may hold 20 KB; the site's patterns must leave room for other statements. */
const MAX_STATEMENT_BYTES = 10 * 1024;

/**
 * Anonymous read of the given key patterns of this deploy (default: everything under its prefix) and
 * nothing else: no listing, no writes. The Sid depends on the prefix only, so each deploy replaces its
 * own statement.
 */
export function publicReadStatement(
  bucket: string,
  prefix: string,
  region: string,
  keyPatterns: string[] = [`${prefix ? `${prefix}/` : ''}*`],
): PolicyStatement {
  const id = createHash('sha256').update(prefix).digest('hex').slice(0, 12);
  const arns = keyPatterns.map((k) => `arn:${partitionFor(region)}:s3:::${bucket}/${k}`);
  const statement: PolicyStatement = {
    Sid: `LookalikePublicRead${id}`,
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: arns.length === 1 ? arns[0] : arns,
  };
  if (JSON.stringify(statement).length > MAX_STATEMENT_BYTES) {
    throw new Error(
      `the site has too many top-level files for a scoped bucket policy (${keyPatterns.length} patterns); ` +
        'deploy under a --prefix, or move files into folders',
    );
  }
  return statement;
}

/** The resources of a statement, as a list (for logs and dry runs). */
export function statementResources(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Adds or replaces our statement (by Sid) and keeps every other statement as it was. */
export function mergePolicy(
  existing: string | undefined,
  statement: PolicyStatement,
): { policy: string; changed: boolean } {
  let doc: { Version?: string; Statement?: unknown };
  try {
    doc = existing ? (JSON.parse(existing) as typeof doc) : {};
  } catch (err) {
    throw new Error('the bucket policy is not valid JSON; fix it or pass --no-configure', { cause: err });
  }
  const statements = (
    Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : []
  ) as Record<string, unknown>[];
  const index = statements.findIndex((s) => s.Sid === statement.Sid);
  const changed = index < 0 || JSON.stringify(statements[index]) !== JSON.stringify(statement);
  const next =
    index < 0 ? [...statements, statement] : statements.map((s, i) => (i === index ? statement : s));
  return {
    policy: JSON.stringify({ ...doc, Version: doc.Version ?? '2012-10-17', Statement: next }),
    changed,
  };
}

const CORS_RULE_ID = 'lookalike-data';

/** Lets pages on other origins (a dev server, a CDN copy of the app) read the data, with Range. */
export const CORS_RULE: CORSRule = {
  ID: CORS_RULE_ID,
  AllowedOrigins: ['*'],
  AllowedMethods: ['GET', 'HEAD'],
  AllowedHeaders: ['Range'],
  ExposeHeaders: ['Content-Length', 'Content-Range', 'Content-Encoding', 'Accept-Ranges', 'ETag'],
  MaxAgeSeconds: 3600,
};

function sameCorsRule(a: CORSRule, b: CORSRule): boolean {
  const norm = (r: CORSRule) =>
    JSON.stringify([
      r.ID,
      r.AllowedOrigins ?? [],
      r.AllowedMethods ?? [],
      r.AllowedHeaders ?? [],
      r.ExposeHeaders ?? [],
      r.MaxAgeSeconds,
    ]);
  return norm(a) === norm(b);
}

export function mergeCorsRules(existing: CORSRule[]): { rules: CORSRule[]; changed: boolean } {
  const index = existing.findIndex((r) => r.ID === CORS_RULE_ID);
  if (index >= 0 && sameCorsRule(existing[index], CORS_RULE)) return { rules: existing, changed: false };
  const rules = index < 0 ? [...existing, CORS_RULE] : existing.map((r, i) => (i === index ? CORS_RULE : r));
  return { rules, changed: true };
}

type WebsiteDecision = { action: 'keep' } | { action: 'put'; config: WebsiteConfiguration };

/**
 * Website hosting is one setting per bucket. A bucket that already serves `index.html` as its index
 * document keeps its configuration (another site may own the error document); one that redirects or
 * uses another index document is someone else's setup, which we refuse to overwrite.
 */
export function decideWebsite(existing: WebsiteConfiguration | undefined, prefix: string): WebsiteDecision {
  if (!existing) {
    return {
      action: 'put',
      config: {
        IndexDocument: { Suffix: 'index.html' },
        ErrorDocument: { Key: prefix ? `${prefix}/index.html` : 'index.html' },
      },
    };
  }
  if (existing.RedirectAllRequestsTo) {
    throw new Error(
      `the bucket's website hosting redirects every request to ${existing.RedirectAllRequestsTo.HostName}; ` +
        'deploy to another bucket, or pass --no-configure to leave it as it is',
    );
  }
  if (existing.IndexDocument?.Suffix !== 'index.html') {
    throw new Error(
      `the bucket's website hosting uses index document '${existing.IndexDocument?.Suffix}', not 'index.html'; ` +
        'pass --no-configure to leave it as it is (the site then opens at …/index.html)',
    );
  }
  return { action: 'keep' };
}

/** Public policies are refused while BlockPublicPolicy is on and ignored while RestrictPublicBuckets is. */
export function publicAccessBlockFor(
  existing: PublicAccessBlockConfiguration | undefined,
): PublicAccessBlockConfiguration | undefined {
  if (!existing || (!existing.BlockPublicPolicy && !existing.RestrictPublicBuckets)) return undefined;
  return { ...existing, BlockPublicPolicy: false, RestrictPublicBuckets: false };
}
