import { existsSync } from 'node:fs';
import { isPublicDataPath, MANIFEST_FILE } from '../storage/dataDirNames';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { addDataDirOption, addFolderOption, intInRange } from '../storage/cliOptions';
import { keepWorkingWhenOutputCloses } from '../storage/cliOutput';
import { isCompressible } from '../deploy/publishRules';
import { CurrentBuildMedia, isMediaPath } from './currentBuildMedia';
import { gzipResponder } from './gzipResponder';
import { APP_CSP, DATA_CSP, NOSNIFF } from './securityHeaders';
import { staticFiles } from './staticFiles';

/*
 * Serves a built site at / and a data dir at /data/, the layout of a published deployment
 * (docs/architecture.md). Like a static host: byte ranges, ETags, no rewriting (scripts/staticFiles.ts).
 * Cache headers follow the data dir's rules: manifest.json and the page are revalidated,
 * content-addressed files are immutable.
 * Every response is `nosniff`; the site gets the app's CSP, data files a CSP that makes them inert
 * (scripts/securityHeaders.ts). What deploy stores gzipped on S3 is sent gzipped (scripts/gzipResponder.ts).
 * Of the data dir, only what deploy would publish is served: no private file (isPublicDataRequest), and
 * of thumbnails and originals only those of the current build (scripts/currentBuildMedia.ts).
 */

interface ServeOptions {
  distDir: string;
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * Send COOP/COEP so the page is cross-origin isolated from the first visit. Off imitates S3, where
   * only the service worker can add them.
   */
  isolationHeaders?: boolean;
  /** Stop by itself after this many milliseconds (unattended runs). */
  exitAfterMs?: number;
  /**
   * Called for every request with its method, path and Range header if any (tests count what a visit
   * downloads, and check that sharded indexes are only read in byte ranges).
   */
  onRequest?: (request: { method: string; path: string; range?: string }) => void;
  /**
   * Top-level files of the data dir served besides what a deploy would publish: the bench's flat
   * embedding file, which its in-page baselines download.
   */
  extraDataFiles?: readonly string[];
}

export interface RunningServer {
  /** Base URL of the site, ending in '/'. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const REVALIDATE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Data files whose names carry their content hash (index.<hash>.bin, thumbs/<hash>.webp, …). */
const CONTENT_ADDRESSED = /(^|\/)(index|catalog|model)\.[0-9a-f]{16}\.\w+$|^\/(thumbs|originals)\//;

/** What either folder's files carry: a cache that keeps one encoding must know there is another. */
function encodingHeaders(res: ServerResponse, pathname: string): void {
  if (isCompressible(pathname)) res.setHeader('Vary', 'Accept-Encoding');
}

function siteHeaders(res: ServerResponse, pathname: string): void {
  encodingHeaders(res, pathname);
  res.setHeader('Content-Security-Policy', APP_CSP);
  if (pathname.startsWith('/assets/')) res.setHeader('Cache-Control', IMMUTABLE);
  else res.setHeader('Cache-Control', REVALIDATE);
  if (pathname.endsWith('.wasm')) res.setHeader('Content-Type', 'application/wasm');
  if (pathname.endsWith('.mjs')) res.setHeader('Content-Type', 'text/javascript');
}

/** The headers of a data dir's files (also the dev server's, vite.config.ts). */
export function dataHeaders(res: ServerResponse, pathname: string): void {
  encodingHeaders(res, pathname);
  res.setHeader('Content-Security-Policy', DATA_CSP);
  res.setHeader('Cache-Control', CONTENT_ADDRESSED.test(pathname) ? IMMUTABLE : REVALIDATE);
  if (pathname.endsWith('.onnx') || pathname.endsWith('.bin'))
    res.setHeader('Content-Type', 'application/octet-stream');
}

export function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', DATA_CSP);
  res.end('not found\n');
}

/**
 * Whether a request under /data/ (its URL with /data taken off) names a file deploy would publish: the
 * build report (the source's path, the files it skipped), the builder's state and the person's own
 * files are not served, even with --host 0.0.0.0.
 */
export function isPublicDataRequest(url: string): boolean {
  const path = dataPathOf(url);
  return path !== undefined && isPublicDataPath(path);
}

/** The data-dir path a request under /data/ names (its URL with /data taken off); undefined: malformed. */
function dataPathOf(url: string): string | undefined {
  try {
    return decodeURIComponent(url.split('?')[0]).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
}

/** Whatever went wrong answering a request ends that response, never the server. */
function failed(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.removeHeader('Content-Length');
  res.removeHeader('Content-Range');
  res.statusCode = 500;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end('internal error\n');
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const distDir = resolve(options.distDir);
  const dataDir = resolve(options.dataDir);
  if (!existsSync(resolve(distDir, 'index.html'))) {
    throw new Error(`${distDir} has no index.html: run \`npm run build\` first`);
  }
  if (!existsSync(dataDir))
    throw new Error(`data dir ${dataDir} does not exist: build an index into it first`);
  const host = options.host ?? '127.0.0.1';
  const extraDataFiles = new Set(options.extraDataFiles ?? []);
  // Files are looked up per request, so rebuilding the site or the data needs no restart.
  const site = staticFiles(distDir, siteHeaders, notFound);
  const data = staticFiles(dataDir, dataHeaders, notFound);
  const siteGzip = gzipResponder(distDir, siteHeaders);
  const dataGzip = gzipResponder(dataDir, dataHeaders);
  // Of thumbs/ and originals/, only what the current build names (scripts/currentBuildMedia.ts).
  const media = new CurrentBuildMedia(dataDir);
  const serve = (
    gzipped: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>,
    plain: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    req: IncomingMessage,
    res: ServerResponse,
  ) =>
    void gzipped(req, res)
      .catch(() => false)
      .then((done) => (done ? undefined : plain(req, res)))
      .catch(() => failed(res));

  const server = createServer((req, res) => {
    options.onRequest?.({ method: req.method ?? 'GET', path: req.url ?? '/', range: req.headers.range });
    for (const [name, value] of Object.entries(NOSNIFF)) res.setHeader(name, value);
    if (options.isolationHeaders) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return;
    }
    const url = req.url ?? '/';
    if (url === '/data' || url.startsWith('/data/') || url.startsWith('/data?')) {
      req.url = url.slice('/data'.length) || '/';
      const path = dataPathOf(req.url);
      if (!isPublicDataRequest(req.url) && !extraDataFiles.has(req.url.split('?')[0].slice(1)))
        notFound(req, res);
      else if (path !== undefined && isMediaPath(path))
        void media.names(path).then(
          (named) => (named ? serve(dataGzip, data, req, res) : notFound(req, res)),
          () => failed(res),
        );
      else serve(dataGzip, data, req, res);
    } else {
      serve(siteGzip, site, req, res);
    }
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => done());
  });
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  if (options.exitAfterMs !== undefined) setTimeout(() => void close(), options.exitAfterMs).unref();
  return { url: `http://${host}:${port}/`, port, close };
}

/**
 * `--port` of serve and `npm start`: decimal digits only, refused when parsing the flag (`Number()` took
 * `1e3` as 1000 and '' as 0, any free port).
 */
export const portOption = intInRange(0, 65535);

async function main(): Promise<void> {
  // A server outlives whoever read its first lines (`| grep -m1 'served at'`).
  keepWorkingWhenOutputCloses();
  const program = new Command().name('serve').description('Serve a built site at / and a data dir at /data/');
  // --site, as deploy names the same folder.
  const siteOf = addFolderOption(program, {
    name: '--site',
    folders: 'sites',
    description: 'built site (npm run build)',
    oldName: '--dist',
    defaultDir: 'dist',
  });
  const dataDirOf = addDataDirOption(program, {
    description: 'data dir (built by build-index)',
    oldName: '--data',
    defaultDir: 'generated/demo-data',
  });
  program
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', portOption, 4173)
    .option('--no-isolation-headers', 'do not send COOP/COEP (imitates S3: the service worker adds them)')
    .option('--exit-after <seconds>', 'stop by itself after this many seconds')
    .parse();
  const o = program.opts<{
    host: string;
    port: number;
    isolationHeaders: boolean;
    exitAfter?: string;
  }>();
  const dataDir = dataDirOf();
  const siteDir = siteOf();
  const exitAfter = o.exitAfter === undefined ? undefined : Number(o.exitAfter);
  if (exitAfter !== undefined && !(exitAfter > 0))
    throw new Error(`--exit-after must be a positive number, got '${o.exitAfter}'`);
  // Node's timers hold at most 2^31 − 1 ms; a longer one fires at once (TimeoutOverflowWarning).
  if (exitAfter !== undefined && exitAfter * 1000 > MAX_TIMER_MS)
    throw new Error(
      `--exit-after can be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (24 days), got '${o.exitAfter}'; leave it out to serve until stopped`,
    );
  const server = await startServer({
    distDir: siteDir,
    dataDir,
    host: o.host,
    port: o.port,
    isolationHeaders: o.isolationHeaders,
    exitAfterMs: exitAfter === undefined ? undefined : exitAfter * 1000,
  });
  console.log(`Lookalike is being served at ${server.url}  (data: ${resolve(dataDir)})`);
  // Served anyway: files are looked up per request, so a build that writes one later needs no restart.
  if (!existsSync(resolve(dataDir, MANIFEST_FILE)))
    console.log(
      `note: ${resolve(dataDir)} holds no ${MANIFEST_FILE} yet: the page shows no collection until npm run build-index writes one there`,
    );
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`serve: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
