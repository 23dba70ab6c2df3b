import { describe, expect, it } from 'vitest';
import { BoundedCache, type CacheStore } from './boundedCache';

/** A cache with the Cache API's order (insertion; a put of a known URL replaces it in place). */
class FakeCache implements CacheStore {
  readonly entries = new Map<string, Response>();
  listings = 0;

  put(request: RequestInfo | URL, response: Response): Promise<void> {
    this.entries.set(urlOf(request), response);
    return Promise.resolve();
  }

  keys(): Promise<readonly Request[]> {
    this.listings++;
    return Promise.resolve([...this.entries.keys()].map((url) => ({ url }) as Request));
  }

  match(request: RequestInfo | URL): Promise<Response | undefined> {
    return Promise.resolve(this.entries.get(urlOf(request))?.clone());
  }

  delete(request: RequestInfo | URL): Promise<boolean> {
    return Promise.resolve(this.entries.delete(urlOf(request)));
  }
}

function urlOf(request: RequestInfo | URL): string {
  return typeof request === 'object' && 'url' in request ? request.url : String(request);
}

const url = (i: number) => `http://127.0.0.1/data/thumbs/${i}.webp`;
const body = (bytes: number) =>
  new Response(new Uint8Array(bytes), { headers: { 'content-type': 'image/jpeg' } });

describe('BoundedCache', () => {
  it('trims on the first put of a worker that finds the cache over its bound', async () => {
    const cache = new FakeCache();
    for (let i = 0; i < 30; i++) await cache.put(url(i), new Response('x'));
    await new BoundedCache({ entries: 20, trimEvery: 10 }).put(cache, url(30), new Response('x'));
    expect([...cache.entries.keys()]).toEqual(Array.from({ length: 20 }, (_, i) => url(i + 11)));
  });

  it('lists the cache once every trimEvery puts and keeps it within entries + trimEvery', async () => {
    const cache = new FakeCache();
    const bounded = new BoundedCache({ entries: 50, trimEvery: 10 });
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
    const bounded = new BoundedCache({ entries: 100, trimEvery: 10 });
    for (let i = 0; i < 100; i++) await bounded.put(cache, url(i), new Response('x'));
    expect(cache.entries.size).toBe(100);
  });

  it('keeps the newest bodies within a byte bound, whatever the server says of their length', async () => {
    const cache = new FakeCache();
    const bounded = new BoundedCache({ entries: 1000, bytes: 10_000, trimEvery: 1 });
    const sizes = [4000, 3000, 2000, 5000, 1000, 500];
    for (const [i, size] of sizes.entries()) await bounded.put(cache, url(i), body(size));
    // Trimmed after each put: the 5,000-byte body pushed out the oldest (4,000), the 1,000-byte one the
    // next (3,000); 8,500 bytes remain.
    expect([...cache.entries.keys()]).toEqual([url(2), url(3), url(4), url(5)]);
  });

  it('keeps the newest entry even when it alone is over the byte bound', async () => {
    const cache = new FakeCache();
    const bounded = new BoundedCache({ entries: 1000, bytes: 1000, trimEvery: 1 });
    await bounded.put(cache, url(0), body(500));
    await bounded.put(cache, url(1), body(5000));
    expect([...cache.entries.keys()]).toEqual([url(1)]);
  });

  it('stores a byte-bounded response whole: status, headers and body', async () => {
    const cache = new FakeCache();
    const bounded = new BoundedCache({ entries: 10, bytes: 10_000, trimEvery: 1 });
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
    await bounded.put(cache, url(0), new Response(bytes, { headers: { 'content-type': 'image/png' } }));
    const stored = await cache.match(url(0));
    expect(stored?.status).toBe(200);
    expect(stored?.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(bytes);
  });

  it('counts entries stored before sizes were kept as empty, so the entry limit still bounds them', async () => {
    const cache = new FakeCache();
    for (let i = 0; i < 5; i++) await cache.put(url(i), body(9000));
    const bounded = new BoundedCache({ entries: 4, bytes: 10_000, trimEvery: 1 });
    await bounded.put(cache, url(5), body(2000));
    expect([...cache.entries.keys()]).toEqual([url(2), url(3), url(4), url(5)]);
  });
});
