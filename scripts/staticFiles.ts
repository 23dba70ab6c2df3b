import { open, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { contentTypeFor } from '../deploy/publishRules';

/*
 * Serves the files of one folder as a static host does: GET and HEAD, an ETag and 304s, one byte
 * range per request (RFC 9110). What a request names must stay inside the folder, through symlinks
 * too. The file is opened before anything is answered and read from that handle, so a file that a
 * rebuild deletes meanwhile is a 404 or a finished response, never a crashed server. Names get the
 * Content-Type deploy stores on S3, and nothing is sent with a Content-Encoding it was not encoded with
 * (a `.gz` file is bytes, as on S3).
 */

/** The file under `root` a URL path names, or null when it would leave `root` or is malformed. */
function fileUnder(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split(/[/\\]/).some((s) => s === '..')) return null;
  const file = resolve(join(root, decoded === '/' ? 'index.html' : decoded));
  return file.startsWith(root + sep) ? file : null;
}

/** The real path of the file a URL path names under `root`, or null when it is outside (symlinks resolved) or missing. */
export async function servedFile(root: string, pathname: string): Promise<string | null> {
  const file = fileUnder(root, pathname);
  const real = file === null ? null : await realpath(file).catch(() => null);
  const realRoot = await realpath(root).catch(() => root);
  return real !== null && real.startsWith(realRoot + sep) ? real : null;
}

type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * The one byte range a Range header asks of a `size`-byte file: null when the header is absent or is
 * to be ignored (another unit, several ranges, bad syntax: the whole file is sent, as RFC 9110
 * allows), 'unsatisfiable' for a well-formed range that starts past the end (416).
 */
export function byteRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (!Number.isSafeInteger(start) || !(last >= start)) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}

/**
 * A handler for one folder. `setHeaders` adds the folder's own headers (cache rules, CSP) to every
 * answer about a file, 304s included; `onNoMatch` answers for names that are not a file in it.
 */
export function staticFiles(
  dir: string,
  setHeaders: (res: ServerResponse, pathname: string) => void,
  onNoMatch: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const root = resolve(dir);
  return async (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    const real = await servedFile(root, pathname);
    if (real === null) return onNoMatch(req, res);
    const handle = await open(real, 'r').catch(() => null);
    if (handle === null) return onNoMatch(req, res);
    let streaming = false;
    try {
      const info = await handle.stat();
      if (!info.isFile()) return onNoMatch(req, res);
      const named = pathname === '/' ? '/index.html' : pathname;
      const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      setHeaders(res, named);
      if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', contentTypeFor(named));
      res.setHeader('ETag', etag);
      res.setHeader('Last-Modified', info.mtime.toUTCString());
      res.setHeader('Accept-Ranges', 'bytes');
      if (req.headers['if-none-match'] === etag) {
        res.statusCode = 304;
        res.end();
        return;
      }
      const ifRange = req.headers['if-range'];
      const range =
        ifRange === undefined || ifRange === etag ? byteRange(req.headers.range, info.size) : null;
      if (range === 'unsatisfiable') {
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${info.size}`);
        res.end();
        return;
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? info.size - 1;
      if (range !== null) {
        res.statusCode = 206;
        res.setHeader('Content-Range', `bytes ${start}-${end}/${info.size}`);
      }
      res.setHeader('Content-Length', Math.max(0, end - start + 1));
      if (req.method === 'HEAD' || end < start) {
        res.end();
        return;
      }
      const body = handle.createReadStream({ start, end, autoClose: true });
      streaming = true;
      body.on('error', () => res.destroy());
      res.on('close', () => body.destroy());
      body.pipe(res);
    } finally {
      if (!streaming) await handle.close();
    }
  };
}
