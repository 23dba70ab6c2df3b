import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../core/catalog';
import type { DuplicateGroup, DuplicateGroupsPage } from '../../workers/searchApi';
import { canLoadMore, duplicateListReducer, type DuplicateList } from './duplicateList';

const item = (id: string): CatalogItem => ({
  id,
  album: 'A',
  name: `${id}.png`,
  thumb: `t/${id}`,
  original: `o/${id}`,
  width: 10,
  height: 10,
});
const group = (id: string): DuplicateGroup => ({
  minScore: 0.9,
  members: [
    { item: item(`${id}1`), score: 1 },
    { item: item(`${id}2`), score: 0.9 },
  ],
});
const page = (start: number, ids: string[], totalGroups = 3): DuplicateGroupsPage => ({
  strictness: 'similar',
  totalGroups,
  totalImages: totalGroups * 2,
  threshold: 0.8,
  start,
  groups: ids.map(group),
});

const LOADING: DuplicateList = { status: 'loading', strictness: 'similar' };
const firstTwo = duplicateListReducer(LOADING, {
  type: 'first',
  page: page(0, ['a', 'b']),
  strictness: 'similar',
});

describe('duplicateListReducer', () => {
  it('shows the first page and can load the rest', () => {
    expect(firstTwo).toMatchObject({ status: 'ready', totalGroups: 3, totalImages: 6, threshold: 0.8 });
    expect(canLoadMore(firstTwo)).toBe(true);
    const loading = duplicateListReducer(firstTwo, { type: 'more-start' });
    expect(canLoadMore(loading)).toBe(false);
    const all = duplicateListReducer(loading, { type: 'more', page: page(2, ['c']), strictness: 'similar' });
    expect(all.status === 'ready' && all.groups.map((g) => g.members[0].item.id)).toEqual(['a1', 'b1', 'c1']);
    expect(canLoadMore(all)).toBe(false);
  });

  it('says when the build has no duplicates file', () => {
    expect(duplicateListReducer(LOADING, { type: 'first', page: null, strictness: 'similar' })).toEqual({
      status: 'unavailable',
      strictness: 'similar',
    });
  });

  it('drops answers for another strictness', () => {
    const other = { type: 'first', page: page(0, ['x']), strictness: 'near-identical' } as const;
    expect(duplicateListReducer(LOADING, other)).toBe(LOADING);
  });

  it('keeps what it has when a further page fails, and says why', () => {
    const loading = duplicateListReducer(firstTwo, { type: 'more-start' });
    const failed = duplicateListReducer(loading, {
      type: 'failed',
      message: 'offline',
      strictness: 'similar',
      more: true,
    });
    expect(failed).toMatchObject({ status: 'ready', loadingMore: false, moreError: 'offline' });
    expect(failed.status === 'ready' && failed.groups).toHaveLength(2);
    expect(canLoadMore(failed)).toBe(true);
    expect(duplicateListReducer(failed, { type: 'more-start' })).toMatchObject({ moreError: null });
  });

  it('does not splice a page that does not follow on (the build changed)', () => {
    const loading = duplicateListReducer(firstTwo, { type: 'more-start' });
    const shifted = duplicateListReducer(loading, {
      type: 'more',
      page: page(2, ['c'], 5),
      strictness: 'similar',
    });
    expect(shifted).toMatchObject({ loadingMore: false, moreError: expect.stringMatching(/changed/) });
    expect(shifted.status === 'ready' && shifted.groups).toHaveLength(2);
  });

  it('fails the whole list when the first page fails', () => {
    expect(
      duplicateListReducer(LOADING, { type: 'failed', message: 'boom', strictness: 'similar', more: false }),
    ).toEqual({ status: 'failed', strictness: 'similar', message: 'boom' });
  });
});
