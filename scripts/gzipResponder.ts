import { stat, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { contentTypeFor, isCompressible } from '../deploy/publishRules';
import { servedFile } from './staticFiles';

/*
 * Sends the files a deploy stores gzip-encoded on S3 (JS, CSS, JSON, WASM, the model…) gzip-encoded
 * from `npm run serve` too, so a local visit costs what a deployed one does. Byte ranges are served
 * as they are (the ranges of a gzip-encoded body are ranges of its compressed bytes), and so is
 * anything a client did not ask to get gzipped. Compressed bodies are kept in memory per file,
 * keyed by size and modification time, so a rebuilt file is compressed again; concurrent requests
 * for one file share its compression.
 */

const gzipAsync = promisify(gzip);
/** Gzipped bodies kept in memory, at most. */
const CACHE_BYTES = 128 * 1024 * 1024;

interface Compressed {
  size: number;
  mtimeMs: number;
  body: Buffer;
  etag: string;
}

/** True when Accept-Encoding lists gzip (or *) with a non-zero quality. */
function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding'];
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * A handler for one served folder: answers (and returns true) when the request is for a compressible
 * file the client takes gzipped; otherwise returns false and the caller serves it as it is.
 * `setHeaders` adds the folder's own headers (cache rules, CSP), as for every other response.
 */
export function gzipResponder(
  dir: string,
  setHeaders: (res: ServerResponse, pathname: string) => void,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const root = resolve(dir);
  // Per file: its gzipped body, or the compression under way (concurrent requests share one). The
  // oldest bodies go once they pass CACHE_BYTES together, since every rebuild adds new names.
  const cache = new Map<string, Promise<Compressed>>();
  const bytes = new Map<string, number>();
  const forget = (file: string) => {
    cache.delete(file);
    bytes.delete(file);
  };
  const compressed = (file: string, size: number, mtimeMs: number): Promise<Compressed> => {
    const known = cache.get(file);
    if (known !== undefined) return known;
    const made = readFile(file).then(async (plain) => {
      const body = await gzipAsync(plain);
      return { size, mtimeMs, body, etag: `W/"gz-${size}-${mtimeMs}"` };
    });
    cache.set(file, made);
    made.then(
      (entry) => {
        if (cache.get(file) !== made) return;
        bytes.set(file, entry.body.length);
        let total = [...bytes.values()].reduce((a, b) => a + b, 0);
        for (const [oldest, n] of bytes) {
          if (total <= CACHE_BYTES) break;
          total -= n;
          forget(oldest);
        }
      },
      () => {
        if (cache.get(file) === made) forget(file);
      },
    );
    return made;
  };
  return async (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    const named = pathname === '/' ? '/index.html' : pathname;
    if (req.headers.range !== undefined || !acceptsGzip(req) || !isCompressible(named)) return false;
    const file = await servedFile(root, pathname);
    if (file === null) return false;
    const info = await stat(file).catch(() => null);
    if (info === null || !info.isFile()) return false;
    let entry = await compressed(file, info.size, info.mtimeMs);
    if (entry.size !== info.size || entry.mtimeMs !== info.mtimeMs) {
      forget(file);
      entry = await compressed(file, info.size, info.mtimeMs);
    }
    setHeaders(res, named);
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', contentTypeFor(named));
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('ETag', entry.etag);
    if (req.headers['if-none-match'] === entry.etag) {
      res.statusCode = 304;
      res.end();
      return true;
    }
    res.setHeader('Content-Length', entry.body.length);
    res.end(req.method === 'HEAD' ? undefined : entry.body);
    return true;
  };
}
