import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMMUTABLE, publishRuleFor, REVALIDATE, UploadPhase } from './publishRules';
import { REPO_ROOT } from '../testing/repoRoot';

describe('publishRuleFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8', REVALIDATE, UploadPhase.Page, true],
    ['sw.js', 'text/javascript', REVALIDATE, UploadPhase.ServiceWorker, true],
    ['registerSW.js', 'text/javascript', REVALIDATE, UploadPhase.MutableSiteFiles, true],
    ['manifest.webmanifest', 'application/manifest+json', REVALIDATE, UploadPhase.MutableSiteFiles, true],
    ['workbox-4f2a9c1e.js', 'text/javascript', IMMUTABLE, UploadPhase.ContentAddressed, true],
    ['assets/index-Bx3k9a_Z.js', 'text/javascript', IMMUTABLE, UploadPhase.ContentAddressed, true],
    [
      'assets/ort-wasm-simd-threaded.asyncify-B7Kq2xZa.wasm',
      'application/wasm',
      IMMUTABLE,
      UploadPhase.ContentAddressed,
      true,
    ],
    [
      'assets/ort-wasm-simd-threaded.asyncify-D1v8Wn0p.mjs',
      'text/javascript',
      IMMUTABLE,
      UploadPhase.ContentAddressed,
      true,
    ],
    ['assets/index-Cq3x_9Lm.css', 'text/css; charset=utf-8', IMMUTABLE, UploadPhase.ContentAddressed, true],
    // Copied from public/ without a hash: must be revalidated even though it sits next to assets.
    [
      'ort-wasm-simd-threaded.asyncify.wasm',
      'application/wasm',
      REVALIDATE,
      UploadPhase.MutableSiteFiles,
      true,
    ],
    ['assets/unhashed.js', 'text/javascript', REVALIDATE, UploadPhase.MutableSiteFiles, true],
    ['favicon.ico', 'image/x-icon', REVALIDATE, UploadPhase.MutableSiteFiles, false],
    ['data/manifest.json', 'application/json', REVALIDATE, UploadPhase.DataManifest, true],
    [
      'data/index.0123456789abcdef.bin',
      'application/octet-stream',
      IMMUTABLE,
      UploadPhase.ContentAddressed,
      false, // read with Range requests: stored as is
    ],
    [
      'data/shards.0123456789abcdef/items/12.json',
      'application/json',
      IMMUTABLE,
      UploadPhase.ContentAddressed,
      true,
    ],
    ['data/catalog.0123456789abcdef.json', 'application/json', IMMUTABLE, UploadPhase.ContentAddressed, true],
    [
      'data/model.0123456789abcdef.onnx',
      'application/octet-stream',
      IMMUTABLE,
      UploadPhase.ContentAddressed,
      true,
    ],
    ['data/thumbs/0123456789abcdef.webp', 'image/webp', IMMUTABLE, UploadPhase.ContentAddressed, false],
    ['data/originals/0123456789abcdef.jpg', 'image/jpeg', IMMUTABLE, UploadPhase.ContentAddressed, false],
    ['data/report.txt', 'text/plain; charset=utf-8', REVALIDATE, UploadPhase.MutableData, true],
  ])('%s', (path, contentType, cacheControl, phase, compressible) => {
    expect(publishRuleFor(path)).toEqual({ contentType, cacheControl, phase, compressible });
  });

  it('orders phases so the page and service worker switch last', () => {
    const order = [
      'sw.js',
      'index.html',
      'manifest.webmanifest',
      'data/manifest.json',
      'assets/a-12345678.js',
    ].sort((a, b) => publishRuleFor(a).phase - publishRuleFor(b).phase);
    expect(order).toEqual([
      'assets/a-12345678.js',
      'data/manifest.json',
      'manifest.webmanifest',
      'index.html',
      'sw.js',
    ]);
  });
});

describe('docs/deploy.md', () => {
  it('lists exactly the extensions that are stored gzipped', async () => {
    const doc = (await readFile(join(REPO_ROOT, 'docs/deploy.md'), 'utf8')).replace(/\s+/g, ' ');
    const list = /Text-like files \(([^)]*)\) are stored gzipped/.exec(doc)?.[1];
    expect(list).toBeDefined();
    const listed = list!.split(',').map((ext) => ext.trim());
    // `.bin` above all: index files are read with Range requests, which gzip encoding would break.
    for (const ext of [
      'wasm',
      'js',
      'mjs',
      'css',
      'json',
      'onnx',
      'bin',
      'html',
      'svg',
      'webmanifest',
      'map',
      'txt',
    ]) {
      expect(listed.includes(ext), ext).toBe(publishRuleFor(`x.${ext}`).compressible);
    }
  });
});
