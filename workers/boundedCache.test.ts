import { describe, expect, it } from 'vitest';
import { BoundedCache, type CacheStore } from './boundedCache';

/** A cache with the Cache API's order (insertion; a put of a known URL replaces it in place). */
class FakeCache implements CacheStore {
  readonly entries = new Map<string, Response>();
  listings = 0;

  put(request: RequestInfo | URL, response: Response): Promise<void> {
    this.entries.set(String(request), response);
    return Promise.resolve();
  }

  keys(): Promise<readonly Request[]> {
    this.listings++;
    return Promise.resolve([...this.entries.keys()].map((url) => ({ url }) as Request));
  }

  delete(request: RequestInfo | URL): Promise<boolean> {
    const url = typeof request === 'string' ? request : (request as Request).url;
    return Promise.resolve(this.entries.delete(url));
  }
}

const url = (i: number) => `http://127.0.0.1/data/thumbs/${i}.webp`;

describe('BoundedCache', () => {
  it('trims on the first put of a worker that finds the cache over its bound', async () => {
    const cache = new FakeCache();
    for (let i = 0; i < 30; i++) await cache.put(url(i), new Response('x'));
    await new BoundedCache(20, 10).put(cache, url(30), new Response('x'));
    expect([...cache.entries.keys()]).toEqual(Array.from({ length: 20 }, (_, i) => url(i + 11)));
  });

  it('lists the cache once every trimEvery puts and keeps it within max + trimEvery', async () => {
    const cache = new FakeCache();
    const bounded = new BoundedCache(50, 10);
    let largest = 0;
    for (let i = 0; i < 1000; i++) {
      await bounded.put(cache, url(i), new Response('x'));
      largest = Math.max(largest, cache.entries.size);
    }
    expect(cache.listings).toBe(100);
    expect(largest).toBeLessThanOrEqual(60);
    // The newest stay: the last trim (put 991) kept 50, and 9 came after it.
    expect(cache.entries.size).toBe(59);
    expect(cache.entries.has(url(999))).toBe(true);
    expect(cache.entries.has(url(940))).toBe(false);
  });

  it('never drops entries while the cache is within its bound', async () => {
    const cache = new FakeCache();
    const bounded = new BoundedCache(100, 10);
    for (let i = 0; i < 100; i++) await bounded.put(cache, url(i), new Response('x'));
    expect(cache.entries.size).toBe(100);
  });
});
