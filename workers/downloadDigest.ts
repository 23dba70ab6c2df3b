import { sha256Hex } from '../core/sha256';

/*
 * How the worker checks a downloaded file (index, catalog, shard, model) against the sha256 that the
 * manifest or the file's content-addressed name gives for it (the builder's side: index-builder/contentAddress.ts).
 */

/** Which implementation hashed the bytes; reported in status so tests can see the insecure-origin path ran. */
export type HashImplementation = 'webcrypto' | 'noble';

/** crypto.subtle exists only in secure contexts (HTTPS, localhost); plain-HTTP hosts fall back to pure JS. */
export function hashImplementation(): HashImplementation {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined ? 'webcrypto' : 'noble';
}

/** Lowercase hex SHA-256 of the bytes. */
export async function sha256HexOf(bytes: ArrayBuffer): Promise<string> {
  if (hashImplementation() === 'webcrypto') {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    let hex = '';
    for (const b of digest) hex += b.toString(16).padStart(2, '0');
    return hex;
  }
  return sha256Hex(new Uint8Array(bytes));
}

/**
 * Whether `actual` (a full hex digest) satisfies `expected`, which may be the full digest or a prefix of
 * it (file names carry 16 hex digits).
 */
export function digestMatches(actual: string, expected: string): boolean {
  const want = expected.toLowerCase();
  return want.length >= 16 && actual.startsWith(want);
}
