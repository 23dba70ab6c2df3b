import { describe, expect, it } from 'vitest';
import { catalogFromItems, type CatalogItem } from '../../core/catalog';
import { buildCatalogView } from './catalogView';

const item = (id: string, album: string): CatalogItem => ({
  id,
  album,
  name: `${id}.png`,
  thumb: `thumbs/${id}.webp`,
  original: `originals/${id}.png`,
  width: 64,
  height: 64,
});

describe('buildCatalogView', () => {
  const catalog = catalogFromItems([item('a1', 'A'), item('b1', 'B'), item('a2', 'A')]);
  const view = buildCatalogView(catalog);

  it('finds items by id', () => {
    expect(view.itemById.get('b1')?.album).toBe('B');
    expect(view.itemById.get('zz')).toBeUndefined();
  });

  it('groups items by album in catalog (index row) order', () => {
    expect(view.itemsByAlbum.get('A')?.map((i) => i.id)).toEqual(['a1', 'a2']);
    expect(view.itemsByAlbum.get('B')?.map((i) => i.id)).toEqual(['b1']);
  });
});
