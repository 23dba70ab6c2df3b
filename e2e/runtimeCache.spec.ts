import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { copies, deployNewApp, takeOverByNewApp } from './siteCopies';
import { startServer } from '../scripts/serve';
import { waitForOfflineReady } from '../testing/pageReadiness';

/*
 * The service worker's runtime cache (workers/serviceWorker.ts) holds only the current build's lazily
 * loaded runtime files (the WebGPU runtime, which vite.config.ts marks in the precache list): another
 * build's files are passed on without being kept, and a new build's worker drops those kept before.
 */

const RUNTIME_CACHE = 'lookalike-runtime-v1';

/** This build's lazily loaded files, as the service worker's precache list names them. */
function lazyFiles(dist: string): string[] {
  const sw = readFileSync(join(dist, 'serviceWorker.js'), 'utf8');
  return [...sw.matchAll(/"lazy":true,"revision":null,"url":"([^"]+)"/g)].map((m) => m[1]);
}

test("the runtime cache keeps this build's WebGPU runtime only, and a new build drops the files of earlier ones", async ({
  browser,
}) => {
  const { dist, data } = copies('runtime-cache');
  const lazy = lazyFiles(dist);
  expect(lazy.some((url) => /ort\.webgpu/.test(url))).toBe(true);
  const webgpuRuntime = lazy.find((url) => /ort\.webgpu/.test(url))!;
  // A file that an open tab of an earlier build would still ask for.
  const earlierBuilds = 'assets/ort.webgpu.min-0ld8u1ld.js';
  writeFileSync(join(dist, earlierBuilds), '// an earlier build');
  const server = await startServer({ distDir: dist, dataDir: data, port: 0, exitAfterMs: 5 * 60_000 });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await waitForOfflineReady(page);
    const cachedPaths = () =>
      page.evaluate(async (name) => {
        if (!(await caches.has(name))) return [];
        return (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname.slice(1));
      }, RUNTIME_CACHE);

    const statuses = await page.evaluate(
      (paths) => Promise.all(paths.map(async (p) => (await fetch(p)).status)),
      [webgpuRuntime, earlierBuilds],
    );
    expect(statuses).toEqual([200, 200]);
    expect(await cachedPaths()).toEqual([webgpuRuntime]);

    // What a version before this rule kept: an earlier build's runtime file.
    await page.evaluate(
      async ([name, path]) => (await caches.open(name)).put(path, new Response('an earlier runtime')),
      [RUNTIME_CACHE, earlierBuilds],
    );
    expect((await cachedPaths()).sort()).toEqual([earlierBuilds, webgpuRuntime].sort());
    deployNewApp(dist);
    await expect
      .poll(async () => {
        await takeOverByNewApp(page);
        return cachedPaths();
      })
      .toEqual([webgpuRuntime]);
  } finally {
    await context.close();
    await server.close();
  }
});
