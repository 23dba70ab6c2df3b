import { createHash } from 'node:crypto';

/** Lowercase hex SHA-256 (node:crypto: the builder hashes every image, the pure-JS one is slower). */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The 16-hex-digit prefix used in content-addressed file names. */
export function hash16(hexHash: string): string {
  return hexHash.slice(0, 16);
}

/** An item id that stays the same across rebuilds: 12 hex digits of SHA-256 of `album/path`. */
export function itemIdFor(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12);
}
