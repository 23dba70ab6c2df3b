import { readBody } from '../core/responseBody';
import { STALL_MS, StallTimer } from '../core/stallTimer';

/** Thrown when a data file cannot be fetched; `offline` says the network itself failed (no HTTP response). */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly offline: boolean,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

export interface FetchProgress {
  loadedBytes: number;
  totalBytes: number | null;
}

/**
 * Fetches a whole file into one ArrayBuffer, reporting bytes as they stream in. `expectedBytes` (from the
 * manifest) is the total when known: Content-Length is the compressed size when the host gzips. A
 * download with no data for `stallMs` fails as offline (FetchError.offline), as a dropped connection does.
 */
export async function fetchWithProgress(
  url: string,
  init: RequestInit,
  expectedBytes: number | null,
  onProgress?: (p: FetchProgress) => void,
  stallMs = STALL_MS,
): Promise<ArrayBuffer> {
  const stall = new StallTimer(stallMs);
  const signal = init.signal ? AbortSignal.any([init.signal, stall.signal]) : stall.signal;
  try {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal });
    } catch (cause) {
      throw new FetchError(
        stall.fired ? stall.message(url, 0) : `cannot reach ${url} (offline?): ${String(cause)}`,
        url,
        true,
        null,
      );
    }
    if (!response.ok) {
      throw new FetchError(
        `${url}: HTTP ${response.status} ${response.statusText}`,
        url,
        false,
        response.status,
      );
    }
    const totalBytes = expectedBytes ?? contentLength(response);
    onProgress?.({ loadedBytes: 0, totalBytes });
    stall.restart();
    let loadedBytes = 0;
    let body: Uint8Array;
    try {
      body = await readBody(response, (bytes) => {
        stall.restart();
        loadedBytes += bytes;
        onProgress?.({ loadedBytes, totalBytes });
      });
    } catch (cause) {
      throw new FetchError(
        stall.fired
          ? stall.message(url, loadedBytes)
          : `download of ${url} broke off after ${loadedBytes} bytes: ${String(cause)}`,
        url,
        true,
        null,
      );
    }
    return body.buffer as ArrayBuffer;
  } finally {
    stall.stop();
  }
}

function contentLength(response: Response): number | null {
  // Compressed transfers report the compressed size, which would make progress overshoot 100%.
  if (response.headers.get('content-encoding')) return null;
  const n = Number(response.headers.get('content-length'));
  return Number.isFinite(n) && n > 0 ? n : null;
}
