import { describe, expect, it } from 'vitest';
import { catalogFromItems } from '../testing/catalogFromItems';
import { parseCatalog, type Catalog, type CatalogItem } from './catalog';

function item(id: string, album: string, extra: Partial<CatalogItem> = {}): CatalogItem {
  return {
    id,
    album,
    name: `${id}.png`,
    thumb: `thumbs/${id}.webp`,
    original: `originals/${id}.png`,
    width: 64,
    height: 48,
    ...extra,
  };
}

const items = [
  item('a1', 'Animals'),
  item('f1', 'Food', { meta: { vendor: 'apple' } }),
  item('a2', 'Animals'),
];

describe('catalogFromItems', () => {
  it('derives albums sorted by name with the first item as cover, keeping item order', () => {
    const c = catalogFromItems(items);
    expect(c.albums).toEqual([
      { name: 'Animals', count: 2, cover: 'a1' },
      { name: 'Food', count: 1, cover: 'f1' },
    ]);
    expect(c.items.map((i) => i.id)).toEqual(['a1', 'f1', 'a2']);
    expect(c.items[1].meta).toEqual({ vendor: 'apple' });
  });

  it('rejects duplicate ids', () => {
    expect(() => catalogFromItems([item('x', 'A'), item('x', 'B')])).toThrow(
      /'x' is used by more than one item/,
    );
  });
});

describe('parseCatalog', () => {
  const valid = (): Catalog => structuredClone(catalogFromItems(items));

  it('round-trips through JSON', () => {
    expect(parseCatalog(valid(), 3)).toEqual(catalogFromItems(items));
  });

  it.each([
    [(c: Catalog) => (c.version = 0 as never), /version must be 1, got 0/],
    [(c: Catalog) => (c.version = 2 as never), /catalog format version 2 is newer/],
    [(c: Catalog) => (c.items = {} as never), /items must be an array/],
    [(c: Catalog) => (c.albums[0].count = 3), /albums\[0\].count is 3 but 2 items/],
    [(c: Catalog) => (c.albums[0].cover = 'f1'), /albums\[0\].cover 'f1' is not an item of album 'Animals'/],
    [(c: Catalog) => c.albums.pop(), /albums has no entry for album 'Food'/],
    [(c: Catalog) => c.albums.push({ ...c.albums[0] }), /albums\[2\].name 'Animals' appears more than once/],
    [(c: Catalog) => (c.items[0].width = 0), /items\[0\].width must be a positive integer/],
    [(c: Catalog) => (c.items[0].thumb = '../../etc/passwd'), /items\[0\].thumb must be a relative path/],
    [(c: Catalog) => (c.items[1].meta = { vendor: 3 } as never), /items\[1\].meta.vendor must be a string/],
    [(c: Catalog) => (c.items[2].name = ''), /items\[2\].name must be a non-empty string/],
    [(c: Catalog) => (c.items[0].bytes = -1), /items\[0\].bytes must be a non-negative integer/],
    [(c: Catalog) => (c.items[0].bytes = 1.5), /items\[0\].bytes must be a non-negative integer/],
  ])('rejects bad field %#', (mutate, message) => {
    const c = valid();
    mutate(c);
    expect(() => parseCatalog(c)).toThrow(message);
  });

  it("keeps an item's file size when present; catalogs without it stay valid", () => {
    const c = valid();
    c.items[0].bytes = 12345;
    expect(parseCatalog(c).items[0].bytes).toBe(12345);
    expect(parseCatalog(valid()).items[0]).not.toHaveProperty('bytes');
  });

  it('checks the item count against the index', () => {
    expect(() => parseCatalog(valid(), 4)).toThrow(/items has 3 entries but the index has 4 rows/);
  });

  it('accepts an empty catalog', () => {
    expect(parseCatalog({ version: 1, albums: [], items: [] })).toEqual({
      version: 1,
      albums: [],
      items: [],
    });
  });
});
