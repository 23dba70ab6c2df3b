import { describe, expect, it } from 'vitest';
import { itemIdFor, itemIdsFor } from './itemId';

// Two keys whose 12-digit ids are the same (found by trying keys of this form).
const CLASH = ['x/c4997726.png', 'x/c2111320.png'];

describe('itemIdsFor', () => {
  it('gives each key its itemIdFor when no two share one', () => {
    const keys = ['a/1.png', 'a/2.png', 'b/1.png'];
    expect([...itemIdsFor(keys)]).toEqual(keys.map((k) => [k, itemIdFor(k)]));
  });

  it('keeps the id for the key that sorts first and gives the other a free one, whatever the order', () => {
    expect(itemIdFor(CLASH[0])).toBe(itemIdFor(CLASH[1]));
    const ids = itemIdsFor([...CLASH, 'y/z.png']);
    expect(ids.get('x/c2111320.png')).toBe(itemIdFor('x/c2111320.png'));
    expect(ids.get('x/c4997726.png')).toBe(itemIdFor('x/c4997726.png\0' + '1'));
    expect(new Set(ids.values()).size).toBe(3);
    expect(itemIdsFor(['y/z.png', ...[...CLASH].reverse()])).toEqual(ids);
  });
});
