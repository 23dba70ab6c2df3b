/** Characters a bucket policy's resource ARN does not take literally. */
export const POLICY_SPECIAL = /[*?$]/;

/**
 * The key prefix a site is published under: `''` for the bucket root, else segments joined by `/`
 * with no leading or trailing slash. Rejects anything that could escape or alias another prefix.
 */
export function parseSitePrefix(input: string | undefined): string {
  const trimmed = (input ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  for (const segment of trimmed.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new Error(`--prefix '${input}' has an empty, '.' or '..' segment`);
    }
    // eslint-disable-next-line no-control-regex
    if (/[\\\u0000-\u001f\u007f]/.test(segment)) {
      throw new Error(`--prefix '${input}' contains a backslash or a control character`);
    }
    // The prefix goes into the bucket policy's resource ARNs, where `*` and `?` match any key and `${…}`
    // is a variable: `--prefix '*'` would make every key with a `/data/` in it public.
    if (POLICY_SPECIAL.test(segment)) {
      throw new Error(
        `--prefix '${input}' contains * ? or $, which a bucket policy reads as a wildcard or variable`,
      );
    }
  }
  return trimmed;
}

/** The object key of a site path under the prefix. */
export function objectKey(prefix: string, sitePath: string): string {
  return prefix ? `${prefix}/${sitePath}` : sitePath;
}

/** What ListObjectsV2 is asked for: `prefix/`, so that `app` never matches `app2/…`. */
export function listingPrefix(prefix: string): string {
  return prefix ? `${prefix}/` : '';
}

/**
 * The prefixes of the deploys a deploy to `prefix` would lie under: the bucket root, then each
 * parent (`a/b/c` → `''`, `a`, `a/b`); none for the bucket root itself.
 */
export function ancestorPrefixes(prefix: string): string[] {
  if (prefix === '') return [];
  const segments = prefix.split('/');
  return segments.map((_, i) => segments.slice(0, i).join('/'));
}
