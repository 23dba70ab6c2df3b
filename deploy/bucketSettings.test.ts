import { describe, expect, it } from 'vitest';
import {
  CORS_RULE,
  decideWebsite,
  keysCoveredBy,
  mergeCorsRules,
  mergePolicy,
  policyKeyPatterns,
  publicAccessBlockFor,
  publicReadStatement,
  siteKeyPatterns,
} from './bucketSettings';

describe('bucket policy', () => {
  const sitePaths = [
    'index.html',
    'sw.js',
    'assets/a-12345678.js',
    'assets/b.css',
    'data/manifest.json',
    'data/thumbs/x.webp',
  ];

  it('refuses a top-level name that a policy would read as a wildcard or variable', () => {
    // A folder named '*' would become the pattern '*/*': every key with a slash in the bucket.
    expect(() => siteKeyPatterns('', ['*/x.js', 'index.html'])).toThrow(/top-level folder '\*'/);
    expect(() => siteKeyPatterns('demo', ['a?.html'])).toThrow(/top-level file 'a\?\.html'/);
    expect(() => siteKeyPatterns('', ['${aws:username}.js'])).toThrow(/wildcard or variable/);
    // Deeper names are covered by their folder's pattern and stay as they are.
    expect(siteKeyPatterns('', ['assets/a*b.js'])).toEqual(['assets/*']);
  });

  it('covers only the site: top-level files exactly, top-level folders by prefix', () => {
    expect(siteKeyPatterns('', sitePaths)).toEqual(['assets/*', 'data/*', 'index.html', 'sw.js']);
    expect(siteKeyPatterns('demo', sitePaths)).toEqual([
      'demo/assets/*',
      'demo/data/*',
      'demo/index.html',
      'demo/sw.js',
    ]);
    const root = publicReadStatement(
      'pics',
      '',
      'us-east-1',
      policyKeyPatterns({ prefix: '', sitePaths, publicBucket: false }),
    );
    expect(root.Resource).toEqual([
      'arn:aws:s3:::pics/assets/*',
      'arn:aws:s3:::pics/data/*',
      'arn:aws:s3:::pics/index.html',
      'arn:aws:s3:::pics/sw.js',
    ]);
    expect(root.Sid).toBe(publicReadStatement('pics', '', 'us-east-1').Sid);
  });

  it('tells which keys a statement makes readable: exact files, and everything under a folder', () => {
    const patterns = siteKeyPatterns('demo', sitePaths);
    const keys = [
      'demo/index.html',
      'demo/index.html.bak',
      'demo/data/notes.json',
      'demo/data2/x.json',
      'demo/notes.txt',
      'demo2/data/x.json',
    ];
    expect(keysCoveredBy(patterns, keys)).toEqual(['demo/index.html', 'demo/data/notes.json']);
    expect(keysCoveredBy(policyKeyPatterns({ prefix: '', sitePaths, publicBucket: true }), keys)).toEqual(
      keys,
    );
    expect(keysCoveredBy([], keys)).toEqual([]);
  });

  it('makes the whole bucket public only with --public-bucket, and only from the bucket root', () => {
    const all = policyKeyPatterns({ prefix: '', sitePaths, publicBucket: true });
    expect(publicReadStatement('pics', '', 'us-east-1', all).Resource).toBe('arn:aws:s3:::pics/*');
    expect(() => policyKeyPatterns({ prefix: 'demo', sitePaths, publicBucket: true })).toThrow(
      /--public-bucket/,
    );
  });

  it('refuses a scoped policy too large for a bucket policy', () => {
    const many = Array.from({ length: 400 }, (_, i) => `file-${i}.txt`);
    expect(() => publicReadStatement('pics', '', 'us-east-1', siteKeyPatterns('', many))).toThrow(
      /too many top-level/,
    );
  });

  it('grants anonymous GetObject on the prefix only', () => {
    const s = publicReadStatement('pics', 'demo', 'eu-west-1');
    expect(s).toMatchObject({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::pics/demo/*',
    });
    expect(publicReadStatement('pics', '', 'us-east-1').Resource).toBe('arn:aws:s3:::pics/*');
    expect(publicReadStatement('pics', 'demo', 'cn-north-1').Resource).toBe('arn:aws-cn:s3:::pics/demo/*');
    expect(publicReadStatement('pics', 'a', 'us-east-1').Sid).not.toBe(
      publicReadStatement('pics', 'b', 'us-east-1').Sid,
    );
  });

  it('keeps other statements, replaces its own, and is idempotent', () => {
    const other = {
      Sid: 'Backup',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::1:root' },
      Action: 's3:*',
      Resource: '*',
    };
    const existing = JSON.stringify({ Version: '2012-10-17', Statement: [other] });
    const ours = publicReadStatement('pics', 'demo', 'us-east-1');
    const first = mergePolicy(existing, ours);
    expect(first.changed).toBe(true);
    expect(JSON.parse(first.policy).Statement).toEqual([other, ours]);
    const second = mergePolicy(first.policy, ours);
    expect(second).toEqual({ policy: first.policy, changed: false });
    expect(JSON.parse(mergePolicy(undefined, ours).policy)).toEqual({
      Version: '2012-10-17',
      Statement: [ours],
    });
    expect(() => mergePolicy('{not json', ours)).toThrow(/--no-configure/);
  });

  it('lifts only the policy switches of Block Public Access', () => {
    const all = {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    };
    expect(publicAccessBlockFor(all)).toEqual({
      ...all,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    expect(
      publicAccessBlockFor({ ...all, BlockPublicPolicy: false, RestrictPublicBuckets: false }),
    ).toBeUndefined();
    expect(publicAccessBlockFor(undefined)).toBeUndefined();
  });
});

describe('CORS and website', () => {
  it('adds its rule next to existing ones once', () => {
    const other = { ID: 'uploads', AllowedMethods: ['PUT'], AllowedOrigins: ['https://a.example'] };
    const merged = mergeCorsRules([other]);
    expect(merged).toEqual({ rules: [other, CORS_RULE], changed: true });
    expect(mergeCorsRules(merged.rules).changed).toBe(false);
  });

  it('enables hosting when absent, keeps a compatible setup, refuses to overwrite a foreign one', () => {
    expect(decideWebsite(undefined, 'demo')).toEqual({
      action: 'put',
      config: { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: 'demo/index.html' } },
    });
    expect(decideWebsite({ IndexDocument: { Suffix: 'index.html' } }, 'demo')).toEqual({ action: 'keep' });
    expect(() => decideWebsite({ IndexDocument: { Suffix: 'default.htm' } }, 'demo')).toThrow(
      /--no-configure/,
    );
    expect(() => decideWebsite({ RedirectAllRequestsTo: { HostName: 'example.org' } }, '')).toThrow(
      /redirects/,
    );
  });
});
