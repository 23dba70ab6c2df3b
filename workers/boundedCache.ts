/** The Cache API methods a bounded cache uses (a fake stands in for them in tests). */
export type CacheStore = Pick<Cache, 'put' | 'keys' | 'delete' | 'match'>;

export interface CacheLimits {
  /** Entries kept, the oldest dropped first. */
  entries: number;
  /**
   * Bytes of bodies kept, for caches whose entries can be large (an original photo is several MB, and
   * 5,000 of them would be tens of GB of the visitor's disk). The newest entry is kept even when it
   * alone is larger.
   */
  bytes?: number;
  /**
   * Puts between two trims. Listing a cache costs about 11 µs an entry in Chromium (56 ms at 5,000,
   * measured December 2026), so it is listed on the first put and then once every `trimEvery` puts, not
   * on each: between two trims the cache can hold up to `trimEvery` entries over its limits.
   */
  trimEvery: number;
}

/**
 * The size of a stored body, kept with it: Content-Length is not always sent, and reading every body
 * back to measure it at each trim would cost more than the cache saves.
 */
const BYTES_HEADER = 'x-lookalike-body-bytes';

/** Puts into a Cache API cache kept within `limits`. One instance per cache and per worker lifetime. */
export class BoundedCache {
  private putsSinceTrim: number;

  constructor(private readonly limits: CacheLimits) {
    // A worker that has just started does not know how full the cache is: it trims on its first put.
    this.putsSinceTrim = limits.trimEvery;
  }

  async put(cache: CacheStore, request: RequestInfo, response: Response): Promise<void> {
    await cache.put(request, this.limits.bytes === undefined ? response : await withBodyBytes(response));
    if (++this.putsSinceTrim < this.limits.trimEvery) return;
    this.putsSinceTrim = 0;
    const keys = await cache.keys();
    const drop = await this.oldestToDrop(cache, keys);
    for (let i = 0; i < drop; i++) await cache.delete(keys[i]);
  }

  /** How many of `keys` (oldest first) must go for the rest to be within the limits. */
  private async oldestToDrop(cache: CacheStore, keys: readonly Request[]): Promise<number> {
    let drop = Math.max(0, keys.length - this.limits.entries);
    const maxBytes = this.limits.bytes;
    if (maxBytes === undefined) return drop;
    const sizes = await Promise.all(keys.map(async (k) => bodyBytes(await cache.match(k))));
    let total = sizes.slice(drop).reduce((a, b) => a + b, 0);
    while (total > maxBytes && drop < keys.length - 1) total -= sizes[drop++];
    return drop;
  }
}

async function withBodyBytes(response: Response): Promise<Response> {
  const body = await response.blob();
  const headers = new Headers(response.headers);
  headers.set(BYTES_HEADER, String(body.size));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** An entry stored before its size was kept counts as empty: it goes when the entry limit says so. */
function bodyBytes(response: Response | undefined): number {
  const bytes = Number(response?.headers.get(BYTES_HEADER));
  return Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
}
