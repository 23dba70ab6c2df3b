import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../core/catalog';
import { AlbumCard } from './albumList/AlbumCard';
import { AlbumListPage } from './albumList/AlbumListPage';
import { AlbumPage } from './albumPage/AlbumPage';
import { albumNamer, AlbumNames } from './catalog/albumNames';
import { ThumbnailCell } from './albumPage/ThumbnailCell';
import { DuplicateMemberCard } from './duplicates/DuplicateMemberCard';
import { pageTitle } from './routing/pageTitle';
import { parseHash } from './routing/route';
import { ResultCard } from './search/ResultCard';

// A name whose right-to-left override makes "photo‮gnp.exe.jpg" read as photogpj.exe.png, and an album
// with a line break: the collection names them, the page shows them spelled out, as the CLIs print them.
const item: CatalogItem = {
  id: 'abc',
  album: 'trips\nsummer',
  name: 'photo\u202egnp.exe.jpg',
  thumb: 'thumbs/abc.webp',
  original: 'originals/abc.jpg',
  width: 64,
  height: 48,
  bytes: 1234,
};
const RAW = /[\u202e\n]/;

/** The card of `item` as the second member of a duplicate group. */
const duplicateCard = (member: CatalogItem) =>
  createElement(DuplicateMemberCard, {
    member: { item: member, score: 0.95 },
    group: 0,
    index: 1,
    k: 5,
    calibration: null,
    tabbable: true,
    onFocus: () => {},
  });

describe('names from the collection on the page', () => {
  it('are shown with their control characters spelled out, in text, titles, alt text and link names', () => {
    const pages = [
      createElement(ResultCard, { item, score: 0.9, label: null, rank: 1, k: 5, cutOff: 'unrelated' }),
      duplicateCard(item),
      createElement(ThumbnailCell, { index: 0, column: 0, item, k: 5, tabbable: true, onFocus: () => {} }),
      createElement(AlbumCard, { album: { name: item.album, count: 1, cover: item }, k: 5 }),
    ];
    for (const page of pages) {
      // Attributes no one sees (data-album keeps the real name, for tests) are left out.
      const html = renderToStaticMarkup(page).replace(/ (data-[a-z-]+|href)="[^"]*"/g, '');
      expect(html).not.toMatch(RAW);
      expect(html).toMatch(/photo\\u\{202e\}gnp\.exe\.jpg|trips\\u\{a\}summer/);
    }
    // A result card shows score and album; its name (and the whole album) on hover.
    expect(
      renderToStaticMarkup(
        createElement(ResultCard, { item, score: 0.9, label: null, rank: 1, k: 5, cutOff: 'unrelated' }),
      ),
    ).toContain('title="photo\\u{202e}gnp.exe.jpg (trips\\u{a}summer)"');
    expect(pageTitle(parseHash('#/search/abc?k=5'), { itemName: item.name })).toBe(
      'Like photo\\u{202e}gnp.exe.jpg · Lookalike',
    );
    expect(pageTitle(parseHash(`#/album/${encodeURIComponent(item.album)}`))).toBe(
      'trips\\u{a}summer · Lookalike',
    );
  });

  it('tells apart two albums whose names differ only in Unicode normalisation, on every page that names one', () => {
    const cover = { ...item, album: 'x', name: 'cover.png' };
    const albums = ['Caf\u00e9', 'Cafe\u0301'].map((name) => ({ name, count: 1, cover }));
    const namer = albumNamer(albums);
    const inCollection = (page: ReturnType<typeof createElement>) =>
      renderToStaticMarkup(createElement(AlbumNames.Provider, { value: namer }, page));
    const list = inCollection(createElement(AlbumListPage, { albums, count: 2, duplicates: null, k: 5 }));
    const names = [...list.matchAll(/<span class="album-name">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(names).toEqual(['Caf\u00e9', 'Cafe\\u{301}']);

    // The NFD twin's own page, a result from it and a duplicate in it say which of the two it is.
    const nfd = { ...item, album: 'Cafe\u0301', name: 'cup.png' };
    const heading = inCollection(
      createElement(AlbumPage, { album: nfd.album, part: 1, k: 5, albums, onKChange: () => {} }),
    );
    expect(heading).toContain('<h1 id="album-heading">Cafe\\u{301}</h1>');
    expect(heading).toContain('aria-label="Images in Cafe\\u{301}"');
    const result = inCollection(
      createElement(ResultCard, { item: nfd, score: 0.9, label: null, rank: 1, k: 5, cutOff: 'unrelated' }),
    );
    expect(result).toContain('cup.png (Cafe\\u{301})');
    const duplicate = inCollection(duplicateCard(nfd));
    expect(duplicate).toContain('Cafe\\u{301}');
    expect(pageTitle(parseHash(`#/album/${encodeURIComponent(nfd.album)}`), { albumName: namer })).toBe(
      'Cafe\\u{301} · Lookalike',
    );
    // The NFC one reads as it is written everywhere.
    expect(namer('Caf\u00e9')).toBe('Caf\u00e9');
  });
});
