import type { CDPSession, Page } from '@playwright/test';

/** What a served path is, for the byte breakdowns. */
export function fileKind(p: string): string {
  if (p.endsWith('.wasm') || /\/assets\/ort/.test(p)) return 'onnxruntime';
  if (/^\/data\/model\./.test(p)) return 'model';
  if (/^\/data\/index\./.test(p)) return 'index';
  // The catalog index and its shards' folder (both layouts).
  if (/^\/data\/(catalog|shards)\./.test(p)) return 'catalog';
  if (/^\/data\/neighbours\./.test(p)) return 'neighbour lists';
  if (/^\/data\/duplicates\./.test(p)) return 'duplicates';
  if (/^\/data\/(thumbs|originals)\//.test(p)) return 'images';
  if (p === '/data/manifest.json') return 'manifest';
  if (p.startsWith('/data/')) return 'other data';
  return 'app shell';
}

interface WireBytes {
  /** Encoded bytes (headers + body as sent, after any Content-Encoding) of the finished requests. */
  bytes: number;
  requests: number;
  byKind: Record<string, number>;
}

/**
 * Counts what crosses the wire the way Chromium counts it. The page's own requests: Network.loadingFinished's
 * encodedDataLength (response headers + the body as encoded on the wire) through a CDP session on the page.
 * Its dedicated workers' fetches (index, catalog, model, runtime) run in targets of their own that the page
 * session does not see; for those the worker's Resource Timing transferSize, which Chromium fills from the
 * same encoded count. A service worker's own fetches (its precache) are in neither, which is what we want:
 * they start after the page is up and only make later visits offline-capable.
 */
export async function meterWireBytes(
  page: Page,
): Promise<{ snapshot: () => Promise<WireBytes>; cdp: CDPSession }> {
  const cdp = await page.context().newCDPSession(page);
  const urls = new Map<string, string>();
  const finished: { path: string; bytes: number }[] = [];
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId);
    // data: and blob: URLs never touch the network.
    if (url === undefined || !/^https?:/.test(url)) return;
    finished.push({ path: new URL(url).pathname, bytes: e.encodedDataLength });
  });
  await cdp.send('Network.enable');
  const snapshot = async (): Promise<WireBytes> => {
    const fromWorkers = await Promise.all(
      page.workers().map((w) =>
        w
          .evaluate(() =>
            performance.getEntriesByType('resource').map((r) => ({
              path: new URL(r.name).pathname,
              bytes: (r as PerformanceResourceTiming).transferSize,
            })),
          )
          .catch(() => []),
      ),
    );
    const byKind: Record<string, number> = {};
    let bytes = 0;
    let requests = 0;
    for (const r of [...finished, ...fromWorkers.flat()]) {
      if (r.bytes === 0) continue; // served from a cache: nothing crossed the wire
      byKind[fileKind(r.path)] = (byKind[fileKind(r.path)] ?? 0) + r.bytes;
      bytes += r.bytes;
      requests++;
    }
    return { bytes, requests, byKind };
  };
  return { snapshot, cdp };
}
