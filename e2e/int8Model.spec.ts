import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { featurize } from '../core/featurize';
import { decodeImage } from '../index-builder/decodeImage';
import { loadModel } from '../index-builder/loadModel';
import { createOnnxModelRunner } from '../index-builder/onnxModelRunner';
import { cosine } from '../models/research/parity';
import { startServer } from '../scripts/serve';
import { albumName, smileysEveryVendorDraws, vendorImageDir } from '../testing/fixtureImages';
import { REPO_ROOT } from '../testing/repoRoot';
import {
  E2E_DIR,
  E2E_DIST_DIR,
  embedInPage,
  loadCollection,
  searchByImageInPage,
  workerStatus,
} from './harness';

/*
 * A collection built with the int8 model (`npm run build-index -- --model mobilenet_v2_mid.int8-qdq`,
 * docs/model.md): the page runs it through onnxruntime-web's WASM int8 kernels and must agree with
 * onnxruntime-node, as the float default does (searchWorker.spec.ts), so queries from the page and from
 * `npm run query` rank alike.
 */

const run = promisify(execFile);
const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const IMAGES = join(E2E_DIR, 'images-int8');
const DATA = join(E2E_DIR, 'data-int8');
const VENDORS = ['apple', 'twitter'] as const;

test('a collection built with the int8 model: the page embeds as Node does (cosine ≥ 0.9999) and finds the image itself', async ({
  page,
}) => {
  test.setTimeout(600_000);
  rmSync(IMAGES, { recursive: true, force: true });
  const emoji = smileysEveryVendorDraws().slice(0, 12);
  for (const vendor of VENDORS) {
    mkdirSync(join(IMAGES, albumName(vendor)), { recursive: true });
    for (const e of emoji)
      copyFileSync(
        join(vendorImageDir(vendor), e.image),
        join(IMAGES, albumName(vendor), `${e.short_name}.png`),
      );
  }
  // The built-in name builds the model first (as `npm run build-model -- --weights int8-qdq` would).
  await run(
    tsx,
    [
      'index-builder/buildIndexCli.ts',
      '--source',
      IMAGES,
      '--data-dir',
      DATA,
      '--model',
      'mobilenet_v2_mid.int8-qdq',
      '--quiet',
    ],
    { cwd: REPO_ROOT },
  );
  const model = await loadModel('mobilenet_v2_mid.int8-qdq');
  expect(model.spec.id).toContain('-int8-qdq-');
  const runner = await createOnnxModelRunner(model.onnxPath, model.spec, 1);
  const server = await startServer({ distDir: E2E_DIST_DIR, dataDir: DATA, port: 0 });
  try {
    await page.goto(server.url);
    await loadCollection(page);
    const manifest = JSON.parse(readFileSync(join(DATA, 'manifest.json'), 'utf8'));
    expect(manifest.model.id).toBe(model.spec.id);

    let worst = 1;
    for (const e of emoji.filter((_, i) => i % 2 === 0)) {
      const bytes = readFileSync(join(vendorImageDir('google'), e.image));
      const [inNode] = await featurize(runner, model.spec, [(await decodeImage(bytes)).image]);
      worst = Math.min(worst, cosine(await embedInPage(page, bytes), inNode));
    }
    console.log(
      `int8 model, Chromium WASM vs onnxruntime-node: worst cosine ${worst.toFixed(6)} over 6 images`,
    );
    expect(worst).toBeGreaterThanOrEqual(0.9999);
    expect((await workerStatus(page)).executionProvider).toBe('wasm');

    const own = readFileSync(join(vendorImageDir('apple'), emoji[3].image));
    const response = await searchByImageInPage(page, own, 3);
    expect(response.results[0].item.name).toBe(`${emoji[3].short_name}.png`);
    expect(response.results[0].item.album).toBe(albumName('apple'));
  } finally {
    await runner.release();
    await server.close();
  }
});
