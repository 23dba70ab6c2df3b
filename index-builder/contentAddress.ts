import { createHash } from 'node:crypto';
import { useSha256 } from '../core/sha256';

/*
 * The builder's content addresses: the hash that names a file by what it holds (thumbnails, originals,
 * data files, cache entries). The worker checks downloads against them with workers/downloadDigest.ts.
 */

// core's hashes (file references, checksums) through node:crypto too, in every process that builds.
useSha256((bytes) => Uint8Array.from(createHash('sha256').update(bytes).digest()));

/** Lowercase hex SHA-256 (node:crypto: the builder hashes every image, the pure-JS one is slower). */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The 16-hex-digit prefix used in content-addressed file names. */
export function hash16(hexHash: string): string {
  return hexHash.slice(0, 16);
}
