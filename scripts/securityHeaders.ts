/*
 * Security headers of a published site, one definition for `npm run serve` (HTTP headers), the
 * built page (a <meta http-equiv> CSP, vite.config.ts) and deploy (S3 cannot send arbitrary headers,
 * docs/deploy.md "Security"). No Node or DOM APIs: vite.config.ts imports it.
 */

/**
 * What the app needs, and nothing more: its own scripts and workers (the search worker, ONNX
 * Runtime's threaded WASM workers, the service worker), WebAssembly compilation for onnxruntime-web
 * ('wasm-unsafe-eval' allows compiling WASM only, not JS eval), blob: URLs for the visitor's own
 * image, the camera stream, and fetches of its own data. No inline script, no plugins, no framing
 * by other sites.
 */
const APP_DIRECTIVES: [string, string][] = [
  ['default-src', "'self'"],
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  ['worker-src', "'self' blob:"],
  ['connect-src', "'self' blob: data:"],
  ['img-src', "'self' blob: data:"],
  ['media-src', "'self' blob: mediastream:"],
  // React sets style attributes; inline styles cannot run script.
  ['style-src', "'self' 'unsafe-inline'"],
  ['manifest-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'self'"],
  ['form-action', "'none'"],
];

/** Only honoured as an HTTP header, not in a <meta> CSP. */
const HEADER_ONLY_DIRECTIVES: [string, string][] = [['frame-ancestors', "'self'"]];

const join = (directives: [string, string][]) => directives.map(([k, v]) => `${k} ${v}`).join('; ');

/** The app's Content-Security-Policy as an HTTP header (`npm run serve`). */
export const APP_CSP = join([...APP_DIRECTIVES, ...HEADER_ONLY_DIRECTIVES]);

/** The same policy as the built index.html carries it in <meta http-equiv> (static hosts like S3). */
export const APP_CSP_META = join(APP_DIRECTIVES);

/**
 * Data files (manifest, index, catalog, model, thumbnails, originals) are never documents: opened
 * directly, a file may show as an image and nothing else, in a sandbox with no script and its own
 * opaque origin (no access to the app's storage).
 */
export const DATA_CSP = "default-src 'none'; img-src 'self'; sandbox";

/** Every response: the browser uses the Content-Type as sent and never guesses another. */
export const NOSNIFF = { 'X-Content-Type-Options': 'nosniff' } as const;
