import { errorInFile } from '../core/formatVersion';
import { parseManifest, type Manifest } from '../core/manifest';
import type { DataCache } from './dataCache';
import { FetchError, fetchWithProgress } from './fetchWithProgress';
import type { ReportProgress } from './progressThrottle';

/** The current manifest: from the network when reachable, else the last one this browser stored. */
export async function loadManifest(
  dataUrl: string,
  cache: DataCache,
  report: ReportProgress,
): Promise<{ manifest: Manifest; text: string; fetchedBytes: number }> {
  const url = new URL('manifest.json', dataUrl).href;
  report({ stage: 'manifest', loadedBytes: 0, totalBytes: null, fromCache: false, done: false });
  let text: string;
  let fromCache = false;
  try {
    // no-cache: revalidate with the host every time, the manifest is what switches to a new build.
    const bytes = await fetchWithProgress(url, { cache: 'no-cache' }, null);
    text = new TextDecoder().decode(bytes);
  } catch (err) {
    if (!(err instanceof FetchError && err.offline)) throw err;
    const stored = await cache.readManifest(dataUrl);
    if (stored === null) {
      throw new Error(
        `cannot reach ${url} and no earlier copy is stored in this browser: connect once to load the collection`,
        { cause: err },
      );
    }
    text = stored;
    fromCache = true;
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(text));
  } catch (err) {
    throw errorInFile(url, err);
  }
  if (!fromCache) await cache.writeManifest(dataUrl, text);
  const size = new TextEncoder().encode(text).byteLength;
  report({ stage: 'manifest', loadedBytes: size, totalBytes: size, fromCache, done: true });
  return { manifest, text, fetchedBytes: fromCache ? 0 : size };
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
