import { HttpStatusError, UnreachableError } from '../core/httpDataSource';
import type { FileRef } from '../core/manifest';
import { digestMatches, sha256HexOf } from './downloadDigest';
import type { DataCache } from './dataCache';
import { FetchError, fetchWithProgress } from './fetchWithProgress';
import type { ReportProgress } from './progressThrottle';
import type { LoadProgress, LoadStage } from './searchApi';

/**
 * A content-addressed data file: verified from IndexedDB, or downloaded, verified and stored. Progress is
 * reported under `stage`; null for small files that get no progress line.
 */
export async function loadVerifiedFile(
  dataUrl: string,
  ref: FileRef,
  stage: LoadStage | null,
  cache: DataCache,
  reportStage: ReportProgress,
): Promise<{ bytes: ArrayBuffer; fromCache: boolean }> {
  const report = (p: Omit<LoadProgress, 'stage'>) => {
    if (stage !== null) reportStage({ stage, ...p });
  };
  const cached = await cache.readFile(ref.sha256);
  if (cached.outcome === 'hit') {
    report({ loadedBytes: ref.bytes, totalBytes: ref.bytes, fromCache: true, done: true });
    return { bytes: cached.bytes, fromCache: true };
  }
  if (cached.outcome === 'dropped')
    console.warn(`cached ${ref.path} dropped: ${cached.reason}; downloading again`);
  const url = new URL(ref.path, dataUrl).href;
  const download = (init: RequestInit) =>
    fetchWithProgress(url, init, ref.bytes, ({ loadedBytes, totalBytes }) =>
      report({ loadedBytes, totalBytes, fromCache: false, done: false }),
    );
  let bytes = await download({});
  let actual = await sha256HexOf(bytes);
  if (!digestMatches(actual, ref.sha256)) {
    // A stale or damaged HTTP cache (or proxy) entry: ask the host itself once more.
    bytes = await download({ cache: 'reload' });
    actual = await sha256HexOf(bytes);
  }
  if (!digestMatches(actual, ref.sha256)) {
    throw new Error(
      `${url} does not match the manifest (sha256 ${actual.slice(0, 16)}…, expected ${ref.sha256.slice(0, 16)}…): ` +
        'the data dir is being replaced or is damaged; reload in a minute',
    );
  }
  await cache.writeFile(ref.sha256, bytes);
  report({ loadedBytes: bytes.byteLength, totalBytes: ref.bytes, fromCache: false, done: true });
  return { bytes, fromCache: false };
}

/**
 * The host says a data file is not there: a build that replaced the one this tab holds deleted it (a data
 * dir keeps only the current and the previous build's files). S3 answers 403 for a missing key when
 * listing is not public.
 */
export function isMissingFile(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const status = e instanceof FetchError || e instanceof HttpStatusError ? e.status : null;
    if (status === 404 || status === 403 || status === 410) return true;
  }
  return false;
}

/** No answer from the host at all (offline, or the connection broke off): a stored build can stand in. */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e instanceof FetchError && e.offline) || e instanceof UnreachableError) return true;
  }
  return false;
}
