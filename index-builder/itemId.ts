import { createHash } from 'node:crypto';

/**
 * An item id that stays the same across rebuilds: 12 hex digits of SHA-256 of `album/path`. It names
 * where an image is, not what it holds (that is index-builder/contentAddress.ts), so an edited image
 * keeps its id and its links.
 */
export function itemIdFor(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12);
}

/**
 * The id of every key: itemIdFor, but where two keys share one. 48 bits collide by chance in about
 * 0.2 % of collections of a million images (and a pair is found on purpose in a minute); the key that
 * sorts first keeps the id, each other one gets the first free id of `key\0 1`, `key\0 2`, …, so the
 * same keys always get the same ids.
 */
export function itemIdsFor(keys: readonly string[]): Map<string, string> {
  const keyOf = new Map<string, string>();
  const later: string[] = [];
  for (const key of keys) {
    const id = itemIdFor(key);
    const holder = keyOf.get(id);
    if (holder === undefined) keyOf.set(id, key);
    else if (holder === key) continue;
    else {
      later.push(holder < key ? key : holder);
      if (key < holder) keyOf.set(id, key);
    }
  }
  const ids = new Map<string, string>();
  for (const [id, key] of keyOf) ids.set(key, id);
  for (const key of later.sort()) {
    let id: string;
    for (let n = 1; keyOf.has((id = itemIdFor(`${key}\0${n}`))); n++);
    keyOf.set(id, key);
    ids.set(key, id);
  }
  return ids;
}
