/*
 * The site's service worker (built by vite-plugin-pwa's injectManifest, which fills in __WB_MANIFEST).
 *  - Precaches the app shell and the onnxruntime WASM build so the site starts offline.
 *  - Caches thumbnails and originals on first view, within bounds (the most recent 5,000 thumbnails and
 *    200 MB of originals), and this build's lazily loaded runtime files (the WebGPU runtime) on first use.
 *  - Adds COOP/COEP to every response it serves, so static hosts that cannot set headers (S3) still get
 *    a cross-origin isolated page, which multi-threaded WASM needs (SharedArrayBuffer).
 * The collection's other files (manifest.json, index, catalog, neighbour lists, model) are not intercepted:
 * the search worker keeps them in IndexedDB, and a request the worker does not answer goes straight to the
 * network, without a detour through this worker's thread (see `passesThrough`).
 */

import { BoundedCache } from './boundedCache';
import type { InstallFailure, SkipWaiting } from './serviceWorkerMessages';

interface PrecacheEntry {
  url: string;
  revision: string | null;
  /** Fetched only by browsers that use it (vite.config.ts marks the WebGPU runtime): cached on first use. */
  lazy?: true;
}

const sw = self as unknown as ServiceWorkerGlobalScope;
const BUILD_FILES: PrecacheEntry[] = (self as unknown as { __WB_MANIFEST: PrecacheEntry[] }).__WB_MANIFEST;
const PRECACHE = BUILD_FILES.filter((e) => e.lazy !== true);

/**
 * The runtime, thumbnail and original caches hold absolute URLs, so several sites on one origin (GitHub
 * Pages project sites, prefixes of one S3 bucket) share them and each cleans up only its own entries;
 * the byte and entry bounds are the origin's. Shell caches are per site.
 */
const RUNTIME_CACHE = 'lookalike-runtime-v1';
/** Thumbnails (it held the originals too until December 2026). */
const THUMB_CACHE = 'lookalike-images-v1';
const ORIGINAL_CACHE = 'lookalike-originals-v1';
/**
 * Thumbnails are ~10 KB: about 5,000 of them, trimmed every 100 puts (listing the cache on each put cost
 * every newly seen thumbnail up to 56 ms of this thread, on the cores the model runs on). Originals are
 * stored as the collection holds them, several MB for a photo: the most recent 200 MB, so that viewing
 * a photo collection cannot fill the visitor's disk (and push the collection's own data out of quota).
 */
const thumbnails = new BoundedCache({ entries: 5000, trimEvery: 100 });
const originals = new BoundedCache({ entries: 5000, bytes: 200 * 2 ** 20, trimEvery: 5 });
/** Inside each shell cache: the entries it was filled from, so the next version can reuse unchanged files. */
const REVISIONS_KEY = '__lookalike-precache-revisions.json';

const scope = new URL(sw.registration.scope);
const indexHtml = new URL('index.html', scope).href;

/** This site's shell caches: another site on this origin has its own. */
const SHELL_PREFIX = `lookalike-shell-${scope.href} `;
/** How shell caches were named before they were per site; whose it is, its revision list tells. */
const UNSCOPED_SHELL = /^lookalike-shell-[0-9a-f]{16}$/;

function absolute(url: string): string {
  return new URL(url, scope).href;
}

/** The only files the runtime cache may hold: an earlier build's runtime is never asked for again. */
const LAZY_FILES = new Set(BUILD_FILES.filter((e) => e.lazy === true).map((e) => absolute(e.url)));

let shellName: Promise<string> | null = null;

/** Named after a digest of the precache list, so every build version has its own cache. */
function shellCacheName(): Promise<string> {
  shellName ??= (async () => {
    const text = JSON.stringify(PRECACHE);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
    return SHELL_PREFIX + Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  })();
  return shellName;
}

/** A response of an earlier shell cache that is still valid for `entry`, if any. */
async function reusable(entry: PrecacheEntry, previous: Cache[]): Promise<Response | undefined> {
  for (const cache of previous) {
    const revisions = await cache.match(REVISIONS_KEY);
    if (!revisions) continue;
    const known = (await revisions.json()) as Record<string, string | null>;
    const url = absolute(entry.url);
    if (url in known && known[url] === entry.revision) {
      const hit = await cache.match(url);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** This site's earlier shell caches (an unscoped one is this site's if its revision list is at this scope). */
async function ownEarlierShells(current: string): Promise<string[]> {
  const own: string[] = [];
  for (const n of await caches.keys()) {
    if (n === current) continue;
    if (n.startsWith(SHELL_PREFIX)) own.push(n);
    else if (UNSCOPED_SHELL.test(n) && (await (await caches.open(n)).match(REVISIONS_KEY))) own.push(n);
  }
  return own;
}

async function install(): Promise<void> {
  const name = await shellCacheName();
  const names = await caches.keys();
  const previous = await Promise.all((await ownEarlierShells(name)).map((n) => caches.open(n)));
  const cache = await caches.open(name);
  try {
    await precache(cache, previous);
  } catch (err) {
    // A shell that cannot fit never will: its part would only take the room the collection could use.
    if (err instanceof DOMException && err.name === 'QuotaExceededError' && !names.includes(name))
      await caches.delete(name);
    throw err;
  }
}

async function precache(cache: Cache, previous: Cache[]): Promise<void> {
  const revisions: Record<string, string | null> = {};
  for (const entry of PRECACHE) {
    const url = absolute(entry.url);
    revisions[url] = entry.revision;
    if (await cache.match(url)) continue;
    const old = await reusable(entry, previous);
    if (old) {
      await cache.put(url, old);
      continue;
    }
    // Hashed file names are immutable, so a copy the page already put in the HTTP cache is as good as
    // a download (the 14 MB runtime is then fetched once, not twice); revisioned ones must be fresh.
    const response = await fetch(url, { cache: entry.revision === null ? 'default' : 'no-cache' });
    if (!response.ok) throw new Error(`precache: ${url} answered HTTP ${response.status}`);
    await cache.put(url, response);
  }
  await cache.put(
    REVISIONS_KEY,
    new Response(JSON.stringify(revisions), { headers: { 'content-type': 'application/json' } }),
  );
}

async function activate(): Promise<void> {
  const name = await shellCacheName();
  for (const n of await ownEarlierShells(name)) await caches.delete(n);
  await dropOriginalsFromThumbCache();
  await dropOtherBuildsRuntimeFiles();
  await sw.clients.claim();
}

/** Each onnxruntime upgrade would otherwise leave its 27 MB WebGPU runtime in the visitor's storage. */
async function dropOtherBuildsRuntimeFiles(): Promise<void> {
  if (!(await caches.has(RUNTIME_CACHE))) return;
  const cache = await caches.open(RUNTIME_CACHE);
  for (const request of await cache.keys())
    if (request.url.startsWith(scope.href) && !LAZY_FILES.has(request.url)) await cache.delete(request);
}

/** Originals that versions before the byte bound kept with the thumbnails: the bound would not see them. */
async function dropOriginalsFromThumbCache(): Promise<void> {
  if (!(await caches.has(THUMB_CACHE))) return;
  const cache = await caches.open(THUMB_CACHE);
  for (const request of await cache.keys()) {
    if (!request.url.startsWith(scope.href)) continue;
    if (imageCacheFor(scopePath(request.url))?.name === ORIGINAL_CACHE) await cache.delete(request);
  }
}

/** Copies a response with the headers that make the page cross-origin isolated. */
function withIsolationHeaders(response: Response): Response {
  // Opaque and error responses cannot be rebuilt; they are passed on as they are.
  if (response.status === 0 || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** From `cacheName`, else from the network, stored (within `bounded`) before the page gets it. */
async function cacheFirst(request: Request, cacheName: string, bounded?: BoundedCache): Promise<Response> {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.status === 200) {
    const copy = response.clone();
    // A full quota costs the copy only: the page still gets what the network gave.
    await (bounded ? bounded.put(cache, request, copy) : cache.put(request, copy)).catch(() => undefined);
  }
  return response;
}

async function fromShell(url: string): Promise<Response | undefined> {
  const name = await shellCacheName();
  const cache = await caches.open(name);
  return (await cache.match(url)) ?? (await caches.match(url));
}

async function respond(request: Request): Promise<Response> {
  const url = new URL(request.url);
  url.hash = '';
  const path = scopePath(url.href);
  // Routes live in the hash, so the page is always the scope root; other navigations (an original image
  // opened in a tab) are ordinary requests.
  if (request.mode === 'navigate' && (path === '' || path === 'index.html')) {
    const shell = await fromShell(indexHtml);
    return withIsolationHeaders(shell ?? (await fetch(request)));
  }
  // The collection's images are never part of the shell: one lookup, in their own cache.
  const images = imageCacheFor(path);
  if (images) return withIsolationHeaders(await cacheFirst(request, images.name, images.bounded));
  const shell = await fromShell(url.href);
  if (shell) return withIsolationHeaders(shell);
  // This build's WebGPU runtime; another build's files (a tab opened before a deploy) are only passed on.
  if (LAZY_FILES.has(url.href)) return withIsolationHeaders(await cacheFirst(request, RUNTIME_CACHE));
  return withIsolationHeaders(await fetch(request));
}

/** Tells the open pages why the install failed; they would otherwise wait for a worker that never comes. */
async function reportInstallFailure(err: unknown): Promise<void> {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const failure: InstallFailure = { type: 'lookalike:install-failed', name, message };
  for (const client of await sw.clients.matchAll({ includeUncontrolled: true, type: 'window' }))
    client.postMessage(failure);
}

sw.addEventListener('install', (event) => {
  event.waitUntil(
    install().then(
      () => sw.skipWaiting(),
      async (err: unknown) => {
        await reportInstallFailure(err);
        throw err;
      },
    ),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(activate());
});

// A page that needs the new app asks a waiting worker to skip waiting (src/siteUpdate.ts), as the install
// does. Chromium then still waits for the old worker to be idle, which the page helps along.
sw.addEventListener('message', (event) => {
  const skip: SkipWaiting['type'] = 'lookalike:skip-waiting';
  if ((event.data as { type?: unknown } | null)?.type === skip) void sw.skipWaiting();
});

/**
 * The collection's files but its images: fetched by the search worker, which checks and keeps them in
 * IndexedDB, so answering them here would only add a cache lookup and a copied response on this thread
 * (10 ms of an own-image query's 55–65 ms while the page was still reading its catalog, measured in
 * December 2026). Same-origin responses need no isolation headers for a cross-origin isolated page.
 */
function passesThrough(request: Request): boolean {
  const path = scopePath(request.url);
  return path.startsWith('data/') && imageCacheFor(path) === undefined && request.mode !== 'navigate';
}

/** A URL's path below the scope (`data/thumbs/….webp`, `index.html`, …). */
function scopePath(url: string): string {
  return new URL(url).pathname.slice(scope.pathname.length);
}

/** The cache a collection image is kept in, by its path below the scope; undefined for other files. */
function imageCacheFor(path: string): { name: string; bounded: BoundedCache } | undefined {
  if (path.startsWith('data/thumbs/')) return { name: THUMB_CACHE, bounded: thumbnails };
  if (path.startsWith('data/originals/')) return { name: ORIGINAL_CACHE, bounded: originals };
  return undefined;
}

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== scope.origin) return;
  // Byte ranges are for media; caching or rewriting them is not worth the complexity here.
  if (request.headers.has('range')) return;
  if (!request.url.startsWith(scope.href) || passesThrough(request)) return;
  event.respondWith(respond(request));
});
