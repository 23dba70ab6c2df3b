import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CatalogItem } from '../core/catalog';
import type { Manifest } from '../core/manifest';
import { FIXTURE_MODEL_SPEC } from './modelSpecFixture';
import { assembleIndex } from '../index-builder/assembleIndex';
import { buildResidentCatalog } from '../index-builder/shardedCatalog';
import { DataDirWriter } from '../storage/dataDirWriter';
import { publishDataDir } from '../storage/publishDataDir';

/**
 * A small but complete published layout for deploy tests: a Vite-like site (hashed assets, ORT
 * wasm/mjs, service worker, web manifest) and a data dir the way the builder writes it (manifest,
 * content-addressed index/catalog/model, thumbs, originals), with a model and an original big
 * enough to need multipart uploads. `version` changes the data and the page, as a rebuild would.
 */

/** Deterministic bytes: the same fixture must give the same hashes in every run. */
function seededBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, length - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Float weights with 16 bits of entropy each, like a real model: gzip saves a quarter or so. */
function modelBytes(seed: string, length: number): Buffer {
  const noise = seededBytes(seed, length / 2);
  const floats = new Float32Array(length / 4);
  for (let i = 0; i < floats.length; i++) floats[i] = (noise.readUInt16LE(2 * i) - 32768) / 8192;
  return Buffer.from(floats.buffer);
}

async function put(root: string, path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), bytes);
}

const FIXTURE_MODEL_BYTES = 7 * 1024 * 1024;
const FIXTURE_BIG_ORIGINAL_BYTES = 6 * 1024 * 1024;

export async function writeFixtureSite(siteDir: string, version: number): Promise<void> {
  const appJs =
    `// app v${version}\n` + 'export function render(el){el.textContent="lookalike";}\n'.repeat(800);
  const appName = `assets/index-${createHash('sha256').update(appJs).digest('base64url').slice(0, 8)}.js`;
  await put(siteDir, appName, appJs);
  await put(siteDir, 'assets/index-Cq3x_9Lm.css', 'body{margin:0;font-family:system-ui}\n'.repeat(200));
  await put(siteDir, 'assets/ort-wasm-simd-threaded.asyncify-B7Kq2xZa.wasm', modelBytes('wasm', 256 * 1024));
  await put(
    siteDir,
    'assets/ort-wasm-simd-threaded.asyncify-D1v8Wn0p.mjs',
    'export const ort = 1;\n'.repeat(500),
  );
  await put(siteDir, 'assets/logo-Z9y8X7w6.webp', seededBytes('logo', 4096));
  await put(siteDir, 'workbox-4f2a9c1e.js', 'self.workbox = {};\n'.repeat(300));
  await put(
    siteDir,
    'sw.js',
    `// precache v${version}\nimportScripts('./workbox-4f2a9c1e.js');\n${'//\n'.repeat(200)}`,
  );
  await put(siteDir, 'registerSW.js', "navigator.serviceWorker.register('./sw.js',{scope:'./'})");
  await put(
    siteDir,
    'manifest.webmanifest',
    JSON.stringify({ name: 'Lookalike', short_name: 'Lookalike', start_url: './', display: 'standalone' }),
  );
  await put(
    siteDir,
    'favicon.svg',
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect/></svg>',
  );
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>Lookalike v${version}</title>` +
    `<link rel="manifest" href="./manifest.webmanifest"><script type="module" src="./${appName}"></script>` +
    `</head><body><div id="root"></div>${'<!-- padding so gzip pays -->'.repeat(40)}</body></html>`;
  await put(siteDir, 'index.html', html);
}

export interface FixtureData {
  manifest: Manifest;
  /** Every data-dir path the manifest and catalog reference, manifest.json excluded. */
  referenced: string[];
}

export async function writeFixtureData(dataDir: string, version: number): Promise<FixtureData> {
  const writer = new DataDirWriter(dataDir);
  await writer.open();
  try {
    const items: CatalogItem[] = [];
    const media: string[] = [];
    for (let i = 0; i < 4; i++) {
      // Item 0 keeps its image across versions, as most of a real collection does.
      const seed = i === 0 ? 'img0' : `img${i}-v${version}`;
      const original = i === 1 ? seededBytes(seed, FIXTURE_BIG_ORIGINAL_BYTES) : seededBytes(seed, 20_000);
      const id = createHash('sha256').update(original).digest('hex').slice(0, 16);
      const thumbPath = `thumbs/${id}.webp`;
      const originalPath = `originals/${id}.png`;
      await writer.putContentAddressed(thumbPath, seededBytes(`thumb-${seed}`, 3000), false);
      await writer.putContentAddressed(originalPath, original, false);
      media.push(thumbPath, originalPath);
      items.push({
        id,
        album: i < 2 ? 'Cats' : 'Dogs',
        name: `image ${i}`,
        thumb: thumbPath,
        original: originalPath,
        width: 64,
        height: 48,
      });
    }
    // Builder bookkeeping that names the private source: it must stay out of the bucket.
    await put(
      dataDir,
      'build-report.json',
      JSON.stringify({ reportVersion: 1, source: '/home/me/private-photos' }),
    );
    // A real index (deploy opens the build with the site's own reader), over vectors that change with
    // the version as a rebuild's would; the catalog follows the index's row order.
    const embeddings = items.map((_, i) => {
      const noise = seededBytes(`vector${i}-v${version}`, FIXTURE_MODEL_SPEC.output.dim);
      return Float32Array.from(noise, (b) => b / 128 - 1);
    });
    const index = await assembleIndex(embeddings, { modelId: FIXTURE_MODEL_SPEC.id, dims: 4 });
    const rowOf = new Uint32Array(items.length);
    index.order.forEach((i, row) => (rowOf[i] = row));
    // Shards of 2 items, so that the data dir has several (deploy must publish each).
    const catalog = buildResidentCatalog(items, rowOf, 2);
    const { manifest } = await publishDataDir(writer, {
      layout: 'resident',
      createdAt: new Date(Date.UTC(2026, 0, version)),
      count: items.length,
      model: { spec: FIXTURE_MODEL_SPEC, bytes: modelBytes('model', FIXTURE_MODEL_BYTES) },
      index: index.bytes,
      catalog: catalog.indexBytes,
      catalogShards: catalog.files,
      media,
    });
    return {
      manifest,
      referenced: [
        ...media,
        manifest.index.path,
        manifest.catalog.path,
        manifest.model.file.path,
        ...catalog.files.keys(),
      ],
    };
  } finally {
    await writer.close();
  }
}
