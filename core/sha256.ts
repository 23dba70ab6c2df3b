import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** A synchronous SHA-256 digest function. */
type Sha256Digest = (bytes: Uint8Array) => Uint8Array;

let digest: Sha256Digest = sha256;

/**
 * Lets a runtime with a faster synchronous SHA-256 supply it: Node's node:crypto hashes about ten
 * times faster than the pure-JS one, which every rebuild (catalog shards, model, index) and every Node
 * open of a large index (its checksum) would otherwise pay. The digests are the same, so browsers,
 * workers and Node still agree; index-builder/contentAddress.ts installs Node's.
 */
export function useSha256(impl: Sha256Digest): void {
  digest = impl;
}

/** Lowercase hex SHA-256; synchronous (pure JS unless a runtime supplied its own) so Node, browsers and workers agree without WebCrypto. */
export function sha256Hex(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('sha256Hex: expected a Uint8Array');
  return bytesToHex(digest(bytes));
}

/** Raw 32-byte SHA-256 digest. */
export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('sha256Bytes: expected a Uint8Array');
  return digest(bytes);
}
