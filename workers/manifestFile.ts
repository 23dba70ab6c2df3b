import { errorInFile } from '../core/formatVersion';
import { parseManifest, type Manifest } from '../core/manifest';
import type { DataCache } from './dataCache';
import { FetchError, fetchWithProgress } from './fetchWithProgress';
import type { ReportProgress } from './progressThrottle';

/**
 * The current manifest: from the network when reachable (or when `stored` is false), else the one this
 * browser stored with the last build it loaded whole (`stored`: that one without asking the network).
 * It is stored again only with its build (DataCache.keepBuild).
 */
export async function loadManifest(
  dataUrl: string,
  cache: DataCache,
  report: ReportProgress,
  stored = false,
): Promise<{ manifest: Manifest; text: string; fetchedBytes: number; fromCache: boolean }> {
  const url = new URL('manifest.json', dataUrl).href;
  report({ stage: 'manifest', loadedBytes: 0, totalBytes: null, fromCache: false, done: false });
  let text: string | null = null;
  let unreachable: unknown;
  if (!stored) {
    try {
      // no-cache: revalidate with the host every time, the manifest is what switches to a new build.
      text = new TextDecoder().decode(await fetchWithProgress(url, { cache: 'no-cache' }, null));
    } catch (err) {
      if (!(err instanceof FetchError && err.offline)) throw err;
      unreachable = err;
    }
  }
  const fromCache = text === null;
  if (text === null) {
    text = await cache.readManifest(dataUrl);
    if (text === null) {
      throw new Error(
        `cannot reach ${url} and no earlier copy is stored in this browser: connect once to load the collection`,
        { cause: unreachable },
      );
    }
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(text));
  } catch (err) {
    throw errorInFile(url, err);
  }
  const size = new TextEncoder().encode(text).byteLength;
  report({ stage: 'manifest', loadedBytes: size, totalBytes: size, fromCache, done: true });
  return { manifest, text, fetchedBytes: fromCache ? 0 : size, fromCache };
}

/** manifest.json straight from the host, past the HTTP cache and any service worker cache; null offline. */
export async function fetchManifestText(dataUrl: string): Promise<string | null> {
  try {
    const bytes = await fetchWithProgress(
      new URL('manifest.json', dataUrl).href,
      { cache: 'no-store' },
      null,
    );
    return new TextDecoder().decode(bytes);
  } catch {
    return null;
  }
}
