import { stat, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { contentTypeFor, isCompressible } from '../deploy/publishRules';

/*
 * Sends the files a deploy stores gzip-encoded on S3 (JS, CSS, JSON, WASM, the model…) gzip-encoded
 * from `npm run serve` too, so a local visit costs what a deployed one does. Byte ranges are served
 * as they are (the ranges of a gzip-encoded body are ranges of its compressed bytes), and so is
 * anything a client did not ask to get gzipped. Compressed bodies are kept in memory per file,
 * keyed by size and modification time, so a rebuilt file is compressed again.
 */

const gzipAsync = promisify(gzip);

interface Compressed {
  size: number;
  mtimeMs: number;
  body: Buffer;
  etag: string;
}

/** True when Accept-Encoding lists gzip (or *) with a non-zero quality. */
export function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding'];
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** The file under `root` a URL path names, or null when it would leave `root` or is malformed. */
function fileUnder(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split('/').some((s) => s === '..')) return null;
  const file = resolve(join(root, decoded === '/' ? 'index.html' : decoded));
  return file.startsWith(root + sep) ? file : null;
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
  const cache = new Map<string, Compressed>();
  return async (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    const named = pathname === '/' ? '/index.html' : pathname;
    if (req.headers.range !== undefined || !acceptsGzip(req) || !isCompressible(named)) return false;
    const file = fileUnder(root, pathname);
    if (file === null) return false;
    const info = await stat(file).catch(() => null);
    if (info === null || !info.isFile()) return false;
    let entry = cache.get(file);
    if (entry === undefined || entry.size !== info.size || entry.mtimeMs !== info.mtimeMs) {
      const body = await gzipAsync(await readFile(file));
      entry = { size: info.size, mtimeMs: info.mtimeMs, body, etag: `W/"gz-${info.size}-${info.mtimeMs}"` };
      cache.set(file, entry);
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
