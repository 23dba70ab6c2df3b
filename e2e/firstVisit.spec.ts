import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { parseManifest } from '../core/manifest';
import { E2E_DATA_DIR, E2E_DIST_DIR, loadCollection, searchById, serveE2eBuild } from './harness';
import { waitForOfflineReady } from '../testing/pageReadiness';
import { REPO_ROOT } from '../testing/repoRoot';

/*
 * Measures what a first visit downloads, from the server's request log (every GET, deduplicated by
 * path, sized from disk; gzip sizes at the default level, as a host that compresses would send them).
 * Phases: (1) page + data until the first album-image result is on screen, with no service worker;
 * (2) a normal visit until the service worker has precached the shell; (3) the model for own-image search.
 */

interface Sizes {
  files: number;
  bytes: number;
  gzipBytes: number;
}

function fileFor(path: string): string {
  const clean = decodeURIComponent(path.split(/[?#]/)[0]);
  if (clean.startsWith('/data/')) return join(E2E_DATA_DIR, clean.slice('/data/'.length));
  return join(E2E_DIST_DIR, clean === '/' ? 'index.html' : clean.slice(1));
}

function sizes(paths: Iterable<string>): Sizes {
  const unique = new Set(paths);
  let bytes = 0;
  let gzipBytes = 0;
  for (const path of unique) {
    const file = fileFor(path);
    bytes += statSync(file).size;
    gzipBytes += gzipSync(readFileSync(file)).byteLength;
  }
  return { files: unique.size, bytes, gzipBytes };
}

const MB = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

/** Requests that only own-image search needs: the model and the onnxruntime-web files. */
function isModelPath(path: string, modelPath: string): boolean {
  return path === `/data/${modelPath}` || path.includes('/assets/ort');
}

test('first visit: what is downloaded for the first album result, for offline use and for the model', async ({
  browser,
}) => {
  const manifest = parseManifest(JSON.parse(readFileSync(join(E2E_DATA_DIR, 'manifest.json'), 'utf8')));
  const modelPath = manifest.model.file.path;
  const { server, log } = await serveE2eBuild(false);
  const report: Record<string, Sizes & { paths: string[] }> = {};
  const requestCounts = { wasm: 0 };
  const record = (name: string, paths: string[]) =>
    (report[name] = { ...sizes(paths), paths: [...new Set(paths)] });
  try {
    // (1) No service worker: what the app fetches on a first visit that opens an album image's results.
    const plain = await browser.newContext({ serviceWorkers: 'block' });
    const page = await plain.newPage();
    // The first album's cover: the catalog index names it (the item itself is in a catalog shard).
    const queryId = (await (await fetch(new URL('data/' + manifest.catalog.path, server.url))).json())
      .albums[0].cover.id as string;
    log.clear();
    await page.goto(`${server.url}#/search/${encodeURIComponent(queryId)}?k=5`);
    await loadCollection(page);
    await searchById(page, queryId, 5);
    await page.waitForLoadState('networkidle');
    // Album search needs neither the model nor the runtime (the app may preload them in the background).
    record(
      'firstAlbumResult',
      log.paths.filter((p) => !isModelPath(p, modelPath)),
    );
    await plain.close();

    // (2) A normal first visit (fresh context, so fresh caches), until offline use is set up and the model is in.
    log.clear();
    const normal = await browser.newContext();
    const page2 = await normal.newPage();
    await page2.goto(server.url);
    await loadCollection(page2);
    await page2.evaluate(() => window.__lookalike!.searchClient.preloadInBackground());
    await waitForOfflineReady(page2);
    record('firstVisitWithServiceWorker', log.paths);
    record(
      'modelAndRuntime',
      log.paths.filter((p) => isModelPath(p, modelPath)),
    );
    requestCounts.wasm = log.paths.filter((p) => p.endsWith('.wasm')).length;

    // (3) A second visit needs only the manifest: shell from the service worker, data and model from IndexedDB.
    log.clear();
    await page2.reload();
    await loadCollection(page2);
    await page2.evaluate(() => window.__lookalike!.searchClient.preloadInBackground());
    record('secondVisit', log.paths);
    await normal.close();
  } finally {
    await server.close();
  }

  const line = (label: string, s: Sizes) =>
    `${label}: ${s.files} files, ${MB(s.bytes)} (gzip ${MB(s.gzipBytes)})`;
  console.log(
    [
      line('first album result (app + data + thumbnails)', report.firstAlbumResult),
      line('model + runtime (own-image search)', report.modelAndRuntime),
      line('first visit with service worker (precache + model)', report.firstVisitWithServiceWorker),
      `  of which .wasm downloads: ${requestCounts.wasm}`,
      line('second visit', report.secondVisit),
    ].join('\n'),
  );
  mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'test-results', 'first-visit-bytes.json'), JSON.stringify(report, null, 2));

  const all = Object.values(report).flatMap((r) => r.paths);
  // The WebGPU runtime is never fetched by a browser without a WebGPU adapter (headless Chromium has none).
  expect(all.filter((p) => /asyncify|webgpu/.test(p))).toEqual([]);
  expect(report.firstAlbumResult.paths).toContain(`/data/${manifest.index.path}`);
  expect(report.modelAndRuntime.paths).toContain(`/data/${modelPath}`);
  // The page and the service worker share the one download of the runtime through the HTTP cache.
  expect(requestCounts.wasm).toBe(1);
  // Only revalidations reach the host: the manifest, and the browser's update check of the service worker.
  expect(
    report.secondVisit.paths.filter((p) => !p.endsWith('/manifest.json') && p !== '/serviceWorker.js'),
  ).toEqual([]);
});
