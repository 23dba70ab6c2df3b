import mime from 'mime-types';
import { inBuildFolder } from '../storage/dataDirNames';

/**
 * How one published file is served and when it is uploaded. Paths are relative to the published
 * site root, with `/` separators: `index.html`, `assets/index-Bx3k9a_Z.js`, `data/manifest.json`.
 */
export interface PublishRule {
  contentType: string;
  cacheControl: string;
  /** Worth trying gzip: the body is kept gzipped only if that saves at least MIN_GZIP_SAVING. */
  compressible: boolean;
  /** Upload phase; every file of a phase is in the bucket before any file of the next is written. */
  phase: UploadPhase;
}

/**
 * Visitors must never see a page whose data or assets are not there yet. Content-addressed files
 * go first (old pages do not reference them, so they are invisible until something points at them),
 * then the data manifest, then the non-hashed files the page refers to, then the page itself, and
 * the service worker after the page: a new service worker precaches `index.html`, so it must not be
 * able to fetch the old one under the new revision.
 */
export enum UploadPhase {
  ContentAddressed = 0,
  MutableData = 1,
  DataManifest = 2,
  MutableSiteFiles = 3,
  Page = 4,
  ServiceWorker = 5,
}

export const PHASE_NAMES: Record<UploadPhase, string> = {
  [UploadPhase.ContentAddressed]: 'content-addressed data and assets',
  [UploadPhase.MutableData]: 'other data files',
  [UploadPhase.DataManifest]: 'data manifest',
  [UploadPhase.MutableSiteFiles]: 'non-hashed site files',
  [UploadPhase.Page]: 'page',
  [UploadPhase.ServiceWorker]: 'service worker',
};

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';
export const MIN_GZIP_SAVING = 0.1;

export const DATA_DIR = 'data';
const DATA_MANIFEST = `${DATA_DIR}/manifest.json`;
// vite-plugin-pwa's default name, the name this project's config gives it, and a common third.
const SERVICE_WORKERS = new Set(['sw.js', 'serviceWorker.js', 'service-worker.js']);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.webp': 'image/webp',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

const COMPRESSIBLE = new Set([
  '.wasm',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.onnx',
  // Not '.bin': index files are read with Range requests, and the ranges of a gzip-encoded object
  // are ranges of its compressed bytes.
  '.html',
  '.svg',
  '.webmanifest',
  '.map',
  '.txt',
]);

// Vite names every emitted asset `[name]-[hash].[ext]` with an 8-character base64url hash, and
// workbox its runtime `workbox-<8 hex>.js`; the builder uses 16 hex digits of the sha256.
const VITE_HASHED = /-[A-Za-z0-9_-]{8}\.[A-Za-z0-9]+$/;
const WORKBOX_RUNTIME = /^workbox-[0-9a-f]{8}\.js$/;
const HEX16_NAME = /(^|\.)[0-9a-f]{16}\.[A-Za-z0-9]+$/;

function extension(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** Worth sending gzip-encoded: what deploy stores gzipped on S3 and `npm run serve` compresses. */
export function isCompressible(path: string): boolean {
  return COMPRESSIBLE.has(extension(path));
}

export function contentTypeFor(path: string): string {
  const ext = extension(path);
  return CONTENT_TYPES[ext] ?? (mime.lookup(path) || 'application/octet-stream');
}

/**
 * Only names that provably change with their content may be cached forever; anything else is
 * revalidated, which costs a 304 but can never pin a stale file in a visitor's cache.
 */
export function isContentAddressed(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (path.startsWith(`${DATA_DIR}/`)) {
    if (inBuildFolder(path.slice(DATA_DIR.length + 1))) return true;
    return path !== DATA_MANIFEST && HEX16_NAME.test(base);
  }
  if (path.startsWith('assets/')) return VITE_HASHED.test(base);
  return WORKBOX_RUNTIME.test(base);
}

function phaseFor(path: string, contentAddressed: boolean): UploadPhase {
  if (contentAddressed) return UploadPhase.ContentAddressed;
  if (path === DATA_MANIFEST) return UploadPhase.DataManifest;
  if (path.startsWith(`${DATA_DIR}/`)) return UploadPhase.MutableData;
  if (SERVICE_WORKERS.has(path)) return UploadPhase.ServiceWorker;
  if (extension(path) === '.html') return UploadPhase.Page;
  return UploadPhase.MutableSiteFiles;
}

export function publishRuleFor(path: string): PublishRule {
  const contentAddressed = isContentAddressed(path);
  return {
    contentType: contentTypeFor(path),
    cacheControl: contentAddressed ? IMMUTABLE : REVALIDATE,
    compressible: isCompressible(path),
    phase: phaseFor(path, contentAddressed),
  };
}
