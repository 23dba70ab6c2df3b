/** Small validators shared by the JSON formats (manifest, catalog); each throws a message naming the field. */

type Fail = (path: string, message: string) => never;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function record(v: unknown, path: string, fail: Fail): Record<string, unknown> {
  if (!isRecord(v)) fail(path, 'must be an object');
  return v;
}

/** A UTF-16 surrogate without its pair: such a string has no text form (URLs, UTF-8) and breaks pages. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function nonEmptyString(v: unknown, path: string, fail: Fail): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, 'must be a non-empty string');
  if (LONE_SURROGATE.test(v)) fail(path, 'is not well-formed text (a lone UTF-16 surrogate)');
  return v;
}

export function nonNegativeInt(v: unknown, path: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail(path, 'must be a non-negative integer');
  return v;
}

export function positiveInt(v: unknown, path: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(path, 'must be a positive integer');
  return v;
}

/**
 * A relative path inside the data dir: forward slashes, no empty, '.' or '..' segments, no scheme,
 * so a manifest or catalog can never point a client outside the data dir. URL parsing takes `%2e`
 * for a dot in a dot segment (`%2e%2e/` climbs like `../`), so segments are tested with it decoded.
 */
export function relativePath(v: unknown, path: string, fail: Fail): string {
  const s = nonEmptyString(v, path, fail);
  // Control characters too: a URL parser drops tabs and line breaks, so `.\t.` would be `..` there.
  const control = [...s].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f');
  if (control || s.startsWith('/') || /[\\:?#]/.test(s)) {
    fail(path, `must be a relative path inside the data dir, got ${JSON.stringify(s)}`);
  }
  for (const segment of s.split('/')) {
    const dots = segment.replace(/%2e/gi, '.');
    if (dots === '' || dots === '.' || dots === '..') {
      fail(path, `must be a relative path inside the data dir, got ${JSON.stringify(s)}`);
    }
  }
  return s;
}
