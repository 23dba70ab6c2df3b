import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isShardedManifest, parseManifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { ResidentCollection } from '../core/residentCollection';
import { fileDataSource } from '../storage/fileDataSource';
import { REPO_ROOT } from '../testing/repoRoot';
import type { AlbumBenchInput } from './albumQueryBench';
import { loadEmojiEmbeddings } from './emojiEmbeddings';
import { FLAT_EMBEDDINGS_FILE } from './syntheticDataDir';

export const DEMO_DATA_DIR = path.join(REPO_ROOT, 'generated', 'demo-data');

/**
 * The demo's data dir as the album-query benchmark needs it: its manifest, index, catalog and model
 * copied to `dir` (thumbnails are not fetched by queries) plus the flat float32 file of the same images'
 * embeddings in catalog order, taken from the emoji embedding cache of the same model. Undefined when
 * the demo has not been built or was built with another model.
 */
export async function demoAlbumInput(
  dir: string,
  log: (m: string) => void,
): Promise<{ input: AlbumBenchInput; indexBytes: number } | undefined> {
  if (!existsSync(path.join(DEMO_DATA_DIR, 'manifest.json'))) {
    log('  no generated/demo-data: the demo row is skipped (npm run demo-data)');
    return undefined;
  }
  const manifest = parseManifest(JSON.parse(readFileSync(path.join(DEMO_DATA_DIR, 'manifest.json'), 'utf8')));
  const collection = await openCollection(manifest, fileDataSource(DEMO_DATA_DIR));
  if (!(collection instanceof ResidentCollection))
    throw new Error('the demo is expected to be a resident build');
  const catalog = { items: await collection.itemsInRowOrder() };
  const emoji = await loadEmojiEmbeddings(log);
  if (emoji.modelId !== manifest.model.id) {
    log(
      `  demo was built with ${manifest.model.id}, the embedding cache holds ${emoji.modelId}: demo row skipped`,
    );
    return undefined;
  }
  const rowOf = new Map(emoji.unified.map((u, i) => [`${emoji.vendors[i]} ${u}`, i]));
  const dim = emoji.dim;
  const flat = new Float32Array(catalog.items.length * dim);
  catalog.items.forEach((item, row) => {
    const at = rowOf.get(`${item.meta?.vendor} ${item.meta?.unified}`);
    if (at === undefined) throw new Error(`demo item ${item.name} is not in the emoji embedding cache`);
    flat.set(emoji.vectors.subarray(at * dim, (at + 1) * dim), row * dim);
  });
  mkdirSync(dir, { recursive: true });
  const neighbourShards = isShardedManifest(manifest) ? [] : (manifest.neighbours?.shards ?? []);
  for (const f of [
    manifest.index.path,
    ...collection.catalogFiles(),
    manifest.model.file.path,
    'manifest.json',
    ...neighbourShards.map((ref) => ref.path),
  ]) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    copyFileSync(path.join(DEMO_DATA_DIR, f), path.join(dir, f));
  }
  writeFileSync(path.join(dir, FLAT_EMBEDDINGS_FILE), new Uint8Array(flat.buffer));
  return {
    input: {
      label: `demo (${catalog.items.length} emoji)`,
      dir,
      count: catalog.items.length,
      dim,
      ids: catalog.items.map((it) => it.id),
      flatRowOf: Int32Array.from(catalog.items, (_, i) => i),
      neighboursBytes: neighbourShards.reduce((n, ref) => n + ref.bytes, 0),
    },
    indexBytes: manifest.index.bytes,
  };
}
