import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { APP_CSP_META } from './scripts/securityHeaders';
import { dataHeaders, isPublicDataRequest, notFound } from './scripts/serve';
import { staticFiles } from './scripts/staticFiles';

/** onnxruntime-web's WebGPU build and the asyncify WASM it loads: fetched only where WebGPU is used. */
function isLazyRuntimeFile(url: string): boolean {
  return /(^|\/)(ort\.webgpu[^/]*|[^/]*asyncify[^/]*)$/.test(url);
}

/** Headers that make the page cross-origin isolated (multi-threaded WASM); the service worker adds them on static hosts. */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The built page carries the app's Content-Security-Policy in a <meta http-equiv>: static hosts such
 * as S3 cannot send it as a header (scripts/securityHeaders.ts). Not in dev mode, whose React refresh
 * preamble is an inline script.
 */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'lookalike-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: APP_CSP_META },
        injectTo: 'head-prepend',
      },
    ],
  };
}

/** In `vite` dev mode, serves a data dir at ./data/ as the published site has it (LOOKALIKE_DATA_DIR). */
function devDataDir(): Plugin {
  const dir = resolve(process.env.LOOKALIKE_DATA_DIR ?? 'generated/demo-data');
  return {
    name: 'lookalike-dev-data',
    apply: 'serve',
    configureServer(server) {
      if (!existsSync(dir)) {
        server.config.logger.warn(
          `no data dir at ${dir}: build one with npm run build-index (or set LOOKALIKE_DATA_DIR)`,
        );
      }
      const files = staticFiles(dir, dataHeaders, notFound);
      server.middlewares.use('/data', (req, res, next) =>
        isPublicDataRequest(req.url ?? '/') ? void files(req, res).catch(next) : notFound(req, res),
      );
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the built site works under any S3 prefix or sub-path.
  base: './',
  resolve: {
    // onnxruntime-web's "extern wasm" builds keep the emscripten glue out of our bundle; the worker
    // points ORT at the glue's own URL (workers/ortRuntime.ts).
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  // Pre-bundling would move onnxruntime-web away from the files it loads next to itself (dev server only).
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  plugins: [
    react(),
    devDataDir(),
    contentSecurityPolicyMeta(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'workers',
      filename: 'serviceWorker.ts',
      // src/offlineSupport.ts registers it, and only in secure contexts.
      injectRegister: false,
      manifest: {
        name: 'Lookalike',
        short_name: 'Lookalike',
        description: 'Find similar images, entirely in your browser',
        start_url: './',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#1f2937',
        icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' }],
      },
      injectManifest: {
        rollupFormat: 'iife',
        globPatterns: ['**/*.{html,js,mjs,css,wasm,svg,webmanifest}'],
        // The plain WASM runtime is 14 MB and must be available offline; the WebGPU one is 27 MB.
        maximumFileSizeToCacheInBytes: 32 * 1024 * 1024,
        // The WebGPU runtime is cached on first use by browsers that have WebGPU, not precached for all.
        // It stays in the list, marked, so the service worker knows which runtime files this build
        // has and drops the others (an earlier build's, or a stale tab's) instead of keeping them forever.
        manifestTransforms: [
          (entries) => ({
            manifest: entries.map((e) => (isLazyRuntimeFile(e.url) ? { ...e, lazy: true } : e)),
            warnings: [],
          }),
        ],
      },
    }),
  ],
});
