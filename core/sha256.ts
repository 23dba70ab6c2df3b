import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** Lowercase hex SHA-256; synchronous and pure JS so Node, browsers and workers agree without WebCrypto. */
export function sha256Hex(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('sha256Hex: expected a Uint8Array');
  return bytesToHex(sha256(bytes));
}

/** Raw 32-byte SHA-256 digest. */
export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('sha256Bytes: expected a Uint8Array');
  return sha256(bytes);
}
