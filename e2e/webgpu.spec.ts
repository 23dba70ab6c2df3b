import { readFileSync } from 'node:fs';
import { expect, test, type Browser } from '@playwright/test';
import { featurize } from '../core/featurize';
import { decodeImage } from '../index-builder/decodeImage';
import { loadDataDir } from '../testing/loadDataDir';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { cosine } from '../models/research/parity';
import { listFixtureImages } from '../testing/fixtureImages';
import {
  E2E_DATA_DIR,
  FIXTURE_IMAGES_DIR,
  embedInPage,
  loadCollection,
  searchByImageInPage,
  serverUrl,
  workerStatus,
} from './harness';
import { launchBrowser } from '../testing/chromium';

/*
 * The WebGPU path (issue 15 item 5). Headless Chromium here exposes a software WebGPU adapter
 * (SwiftShader) with --enable-unsafe-webgpu: enough to prove the model runs through onnxruntime-web's
 * WebGPU provider and agrees with WASM and Node, and that a failing WebGPU runtime falls back to WASM.
 * No speed is measured or claimed from a software adapter.
 */

const WEBGPU_ARGS = ['--enable-unsafe-webgpu'];

let browser: Browser;
test.beforeAll(async () => {
  browser = await launchBrowser(WEBGPU_ARGS);
});
test.afterAll(async () => {
  await browser.close();
});

/** Twelve fixture images spread over the three vendors. */
function sampleImages(): { name: string; bytes: Uint8Array }[] {
  const fixtures = listFixtureImages(FIXTURE_IMAGES_DIR);
  const step = Math.max(1, Math.floor(fixtures.length / 12));
  return fixtures
    .filter((_, i) => i % step === 0)
    .slice(0, 12)
    .map((f) => ({ name: `${f.album}/${f.emoji}`, bytes: readFileSync(f.path) }));
}

test('the model runs on WebGPU, agrees with WASM in Node (cosine ≥ 0.999), and the status line says WebGPU', async () => {
  const context = await browser.newContext();
  const data = await loadDataDir(E2E_DATA_DIR);
  const runner = await createOnnxModelRunner(data.model.onnxPath, data.model.spec, 1);
  try {
    const page = await context.newPage();
    // This machine's adapter is SwiftShader, a software one, which the app passes over unless asked.
    await page.goto(`${serverUrl()}?webgpu=software`);
    await loadCollection(page);
    await page.evaluate(() => window.__lookalike!.searchClient.preloadInBackground());
    const status = await workerStatus(page);
    expect(status.webGpuError).toBeNull();
    expect(status.executionProvider).toBe('webgpu');

    let worst = 1;
    for (const image of sampleImages()) {
      const [inNode] = await featurize(runner, data.model.spec, [(await decodeImage(image.bytes)).image]);
      const onGpu = await embedInPage(page, image.bytes);
      const similarity = cosine(onGpu, inNode);
      worst = Math.min(worst, similarity);
      expect(similarity, image.name).toBeGreaterThanOrEqual(0.999);
    }
    console.log(`WebGPU (SwiftShader) vs onnxruntime-node: worst cosine ${worst.toFixed(6)} over 12 images`);

    const own = sampleImages()[0];
    const response = await searchByImageInPage(page, own.bytes, 3);
    expect(response.results[0].item.name.replace(/\.png$/, '')).toBe(own.name.split('/')[1]);
    await expect(page.getByTestId('status-ready')).toContainText('model on WebGPU');
  } finally {
    await runner.release();
    await context.close();
  }
});

test('when the WebGPU runtime fails to load, the model falls back to WASM and the status line says so', async () => {
  // Requests from the page's workers pass through routes only without a service worker in between.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    await context.route(/ort-wasm-simd-threaded\.asyncify/, (route) => route.abort('failed'));
    const page = await context.newPage();
    await page.goto(`${serverUrl()}?webgpu=software`);
    await loadCollection(page);
    await page.evaluate(() => window.__lookalike!.searchClient.preloadInBackground());
    const status = await workerStatus(page);
    expect(status.model).toBe('ready');
    expect(status.executionProvider).toBe('wasm');
    expect(status.webGpuError).not.toBeNull();

    const own = sampleImages()[1];
    const response = await searchByImageInPage(page, own.bytes, 3);
    expect(response.results[0].item.name.replace(/\.png$/, '')).toBe(own.name.split('/')[1]);
    await expect(page.getByTestId('status-ready')).toContainText('WebAssembly');
    await expect(page.getByTestId('status-ready')).toContainText('WebGPU failed');
  } finally {
    await context.close();
  }
});

test('a software WebGPU adapter (SwiftShader) is passed over for WASM unless the page asks for it', async () => {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const requested: string[] = [];
    context.on('request', (request) => requested.push(request.url()));
    const page = await context.newPage();
    await page.goto(serverUrl());
    await loadCollection(page);
    // The adapter is there, and it is a fallback one: what the app checks.
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      const a = (await gpu?.requestAdapter()) as { info?: { isFallbackAdapter?: boolean } } | null;
      return a === null || a === undefined ? null : { fallback: a.info?.isFallbackAdapter ?? null };
    });
    expect(adapter).toEqual({ fallback: true });
    await page.evaluate(() => window.__lookalike!.searchClient.preloadInBackground());
    const status = await workerStatus(page);
    expect(status.model).toBe('ready');
    expect(status.executionProvider).toBe('wasm');
    // Not a failure: nothing to report on the status line, and the WebGPU runtime is never fetched.
    expect(status.webGpuError).toBeNull();
    expect(requested.filter((url) => /asyncify|ort\.webgpu/.test(url))).toEqual([]);
    await expect(page.getByTestId('status-ready')).toContainText('WebAssembly');
    await expect(page.getByTestId('status-ready')).not.toContainText('WebGPU');
  } finally {
    await context.close();
  }
});
