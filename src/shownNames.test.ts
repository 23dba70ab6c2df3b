import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../core/catalog';
import { AlbumCard } from './albumList/AlbumCard';
import { AlbumListPage } from './albumList/AlbumListPage';
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

describe('names from the collection on the page', () => {
  it('are shown with their control characters spelled out, in text, titles, alt text and link names', () => {
    const pages = [
      createElement(ResultCard, { item, score: 0.9, label: null, rank: 1, k: 5, cutOff: 'unrelated' }),
      createElement(DuplicateMemberCard, {
        member: { item, score: 0.95 },
        group: 0,
        index: 1,
        k: 5,
        calibration: null,
        tabbable: true,
        onFocus: () => {},
      }),
      createElement(ThumbnailCell, { index: 0, column: 0, item, k: 5, tabbable: true, onFocus: () => {} }),
      createElement(AlbumCard, { album: { name: item.album, count: 1, cover: item }, k: 5 }),
    ];
    for (const page of pages) {
      // Attributes no one sees (data-album keeps the real name, for tests) are left out.
      const html = renderToStaticMarkup(page).replace(/ (data-[a-z-]+|href)="[^"]*"/g, '');
      expect(html).not.toMatch(RAW);
      expect(html).toMatch(/photo\\u\{202e\}gnp\.exe\.jpg|trips\\u\{a\}summer/);
    }
    expect(pageTitle(parseHash('#/search/abc?k=5'), () => item.name)).toBe(
      'Like photo\\u{202e}gnp.exe.jpg · Lookalike',
    );
    expect(pageTitle(parseHash(`#/album/${encodeURIComponent(item.album)}`), () => undefined)).toBe(
      'trips\\u{a}summer · Lookalike',
    );
  });

  it('tells apart two albums whose names differ only in Unicode normalisation, on the album list', () => {
    const cover = { ...item, album: 'x', name: 'cover.png' };
    const albums = ['Caf\u00e9', 'Cafe\u0301'].map((name) => ({ name, count: 1, cover }));
    const html = renderToStaticMarkup(
      createElement(AlbumListPage, { albums, count: 2, duplicates: null, k: 5 }),
    );
    const names = [...html.matchAll(/<span class="album-name">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(names).toEqual(['Caf\u00e9', 'Cafe\\u{301}']);
  });
});
