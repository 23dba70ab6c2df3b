import type { DataSource } from './dataSource';
import { readBody } from './responseBody';
import { STALL_MS, StallTimer } from './stallTimer';

/** Told the size of each chunk of an answer's body as it arrives. */
type Arrived = (bytes: number) => void;

export class RangeNotSupportedError extends Error {
  override name = 'RangeNotSupportedError';
}

/** The host answered with an error status (404: the file is not there, e.g. deleted by a later build). */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** No answer from the host at all: offline, the connection failed, or the answer stalled. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

/**
 * A DataSource over HTTP: plain GETs for shards, `Range: bytes=a-b` for the index. A server that
 * answers a Range request with the whole file (200) is reported, not tolerated: at a million images
 * that would be a 100 MB download per query. Ranges skip the HTTP cache (`no-store`): the reader keeps
 * what it fetched in its own verified store, and a browser's partial-content cache entries of a
 * 100 MB file only cost disk work. A `fresh` file is fetched with `cache: 'reload'`: its name is
 * content-addressed and cached for a year, so a damaged copy in the browser's cache (or a proxy's)
 * would otherwise come back on every retry.
 */
export function httpDataSource(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
  stallMs = STALL_MS,
): DataSource {
  const url = (path: string) => new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
  /**
   * `read` the answer to a GET, calling `arrived` as its bytes come; no answer, a stalled one (no data
   * for `stallMs`) or one cut off is an UnreachableError.
   */
  const get = async (
    path: string,
    init: RequestInit,
    read: (res: Response, arrived: Arrived) => Promise<Uint8Array>,
  ) => {
    const stall = new StallTimer(stallMs);
    let loadedBytes = 0;
    const arrived: Arrived = (bytes) => {
      loadedBytes += bytes;
      stall.restart();
    };
    const unreachable = (err: unknown) =>
      new UnreachableError(
        stall.fired
          ? stall.message(url(path), loadedBytes)
          : `cannot reach ${url(path)} (offline?): ${String(err)}`,
        { cause: err },
      );
    try {
      let res: Response;
      try {
        res = await fetchImpl(url(path), { ...init, signal: stall.signal });
      } catch (err) {
        throw unreachable(err);
      }
      stall.restart();
      try {
        return await read(res, arrived);
      } catch (err) {
        throw stall.fired ? unreachable(err) : err;
      }
    } finally {
      stall.stop();
    }
  };
  return {
    file: (path, fresh) =>
      get(path, fresh === true ? { cache: 'reload' } : {}, async (res, arrived) => {
        if (!res.ok) {
          await res.body?.cancel();
          throw new HttpStatusError(`GET ${path}: HTTP ${res.status}`, res.status);
        }
        return readBody(res, arrived);
      }),
    async range(path, start, end) {
      if (end <= start) return new Uint8Array(0);
      const init: RequestInit = { headers: { Range: `bytes=${start}-${end - 1}` }, cache: 'no-store' };
      return get(path, init, async (res, arrived) => {
        if (res.status === 200) {
          await res.body?.cancel();
          throw new RangeNotSupportedError(
            `GET ${path}: the server ignored the Range header (HTTP 200); sharded indexes need a host with Range support (S3, CloudFront, nginx, …)`,
          );
        }
        if (res.status !== 206)
          throw new HttpStatusError(`GET ${path} bytes ${start}-${end - 1}: HTTP ${res.status}`, res.status);
        // The ranges of a compressed object are ranges of its compressed bytes: never what was asked for.
        const encoding = res.headers.get('content-encoding');
        if (encoding !== null && encoding !== 'identity') {
          await res.body?.cancel();
          throw new Error(
            `GET ${path}: the host sends it compressed (Content-Encoding: ${encoding}); index files must be stored uncompressed`,
          );
        }
        const what = `GET ${path} bytes ${start}-${end - 1}`;
        const answered = /^bytes (\d+)-(\d+)\//.exec(res.headers.get('content-range') ?? '');
        if (answered !== null && (Number(answered[1]) !== start || Number(answered[2]) !== end - 1)) {
          await res.body?.cancel();
          throw new Error(`${what}: the host answered bytes ${answered[1]}-${answered[2]}`);
        }
        return readExactly(res, end - start, what, arrived);
      });
    },
  };
}

/**
 * The body of a range answer, which must be `expected` bytes: read no further than that, so a host
 * that sends more (a whole 100 MB index for a few KB asked) costs no more than the answer should.
 */
async function readExactly(
  res: Response,
  expected: number,
  what: string,
  arrived: Arrived,
): Promise<Uint8Array> {
  const wrongLength = (got: string) =>
    new Error(`${what}: got ${got} bytes (is the object stored compressed?)`);
  const declared = res.headers.get('content-length');
  if (declared !== null && Number(declared) !== expected) {
    await res.body?.cancel();
    throw wrongLength(declared);
  }
  if (res.body === null) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length !== expected) throw wrongLength(String(bytes.length));
    return bytes;
  }
  const reader = res.body.getReader();
  const out = new Uint8Array(expected);
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > expected) {
      await reader.cancel();
      throw wrongLength(`more than ${expected}`);
    }
    arrived(value.length);
    out.set(value, at);
    at += value.length;
  }
  if (at !== expected) throw wrongLength(String(at));
  return out;
}
