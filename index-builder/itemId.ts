import { createHash } from 'node:crypto';

/**
 * An item id that stays the same across rebuilds: 12 hex digits of SHA-256 of `album/path`. It names
 * where an image is, not what it holds (that is index-builder/contentAddress.ts), so an edited image
 * keeps its id and its links.
 */
export function itemIdFor(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12);
}
