import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../core/catalog';
import { createAlbumPages } from './albumPages';

const item = (position: number): CatalogItem => ({
  id: `id${position}`,
  album: 'A',
  name: `${position}.png`,
  thumb: `thumbs/${position}.webp`,
  original: `originals/${position}.png`,
  width: 64,
  height: 64,
});

/** A fetcher whose answers the test releases one by one, recording every request. */
function controlledFetch() {
  const calls: { start: number; count: number; settle: (fail?: Error) => void }[] = [];
  const fetchItems = (start: number, count: number) =>
    new Promise<CatalogItem[]>((resolve, reject) => {
      calls.push({
        start,
        count,
        settle: (fail) =>
          fail ? reject(fail) : resolve(Array.from({ length: count }, (_, i) => item(start + i))),
      });
    });
  return { calls, fetchItems };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createAlbumPages', () => {
  it('fetches the aligned pages that hold a range once, and clamps the last one to the album', async () => {
    const { calls, fetchItems } = controlledFetch();
    const pages = createAlbumPages(25, fetchItems, 8, 10);
    pages.request(5, 22);
    pages.request(8, 12);
    expect(calls.map((c) => [c.start, c.count])).toEqual([
      [0, 10],
      [10, 10],
      [20, 5],
    ]);
    expect(pages.getSnapshot().itemAt(12)).toBeUndefined();
    calls[1].settle();
    await flush();
    expect(pages.getSnapshot().itemAt(12)?.id).toBe('id12');
    expect(pages.getSnapshot().itemAt(3)).toBeUndefined();
    pages.request(10, 19);
    expect(calls).toHaveLength(3);
  });

  it('tells subscribers about every arrival with a new snapshot', async () => {
    const { calls, fetchItems } = controlledFetch();
    const pages = createAlbumPages(10, fetchItems, 8, 10);
    let notified = 0;
    const unsubscribe = pages.subscribe(() => notified++);
    const before = pages.getSnapshot();
    pages.request(0, 0);
    calls[0].settle();
    await flush();
    expect(notified).toBe(1);
    expect(pages.getSnapshot()).not.toBe(before);
    expect(before.itemAt(0)).toBeUndefined();
    unsubscribe();
  });

  it('keeps the most recently used pages only', async () => {
    const { calls, fetchItems } = controlledFetch();
    const pages = createAlbumPages(100, fetchItems, 2, 10);
    pages.request(0, 19);
    calls.forEach((c) => c.settle());
    await flush();
    pages.request(0, 0); // page 0 is now the most recent
    pages.request(30, 30);
    calls[2].settle();
    await flush();
    const snapshot = pages.getSnapshot();
    expect(snapshot.itemAt(0)?.id).toBe('id0');
    expect(snapshot.itemAt(15)).toBeUndefined();
    expect(snapshot.itemAt(30)?.id).toBe('id30');
  });

  it('reports a failed page, does not refetch it on its own, and retries on request', async () => {
    const { calls, fetchItems } = controlledFetch();
    const pages = createAlbumPages(10, fetchItems, 8, 10);
    pages.request(0, 9);
    calls[0].settle(new Error('offline'));
    await flush();
    expect(pages.getSnapshot().error).toBe('offline');
    pages.request(0, 9);
    expect(calls).toHaveLength(1);
    pages.retry();
    expect(pages.getSnapshot().error).toBeNull();
    expect(calls).toHaveLength(2);
    calls[1].settle();
    await flush();
    expect(pages.getSnapshot().itemAt(9)?.id).toBe('id9');
  });
});
