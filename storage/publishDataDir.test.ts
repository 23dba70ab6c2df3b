import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isShardedManifest, parseManifest } from '../core/manifest';
import { parseModelSpec } from '../core/modelSpec';
import { assembleCellIndex } from '../index-builder/assembleCellIndex';
import { assembleIndex } from '../index-builder/assembleIndex';
import { syntheticEmbeddings } from '../testing/syntheticEmbeddings';
import { MANIFEST_FILE } from './dataDirNames';
import { DataDirWriter } from './dataDirWriter';
import { publishDataDir, type BuildToPublish } from './publishDataDir';

// Any valid spec: the publisher only copies it into the manifest (no model runs here).
const SPEC = parseModelSpec(
  JSON.parse(
    readFileSync(join(import.meta.dirname, '..', 'models', 'specs', 'resnet50-v1-12-int8.json'), 'utf8'),
  ),
);

const embeddings = syntheticEmbeddings({ count: 40, dim: 16, clusters: 4, spread: 0.5, seed: 7 }).embeddings;
const encoder = new TextEncoder();

describe('publishDataDir', () => {
  let dir: string;
  let writer: DataDirWriter;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'publish-data-dir-'));
    writer = new DataDirWriter(dir);
    await writer.open();
  });
  afterEach(async () => {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A resident build whose catalog is just `version` (the publisher does not read it). */
  async function residentBuild(version: number): Promise<BuildToPublish> {
    return {
      layout: 'resident',
      createdAt: new Date(Date.UTC(2026, 0, version)),
      count: embeddings.length,
      model: { spec: SPEC, bytes: encoder.encode('model') },
      index: (await assembleIndex(embeddings, { modelId: SPEC.id })).bytes,
      catalog: encoder.encode(`{"version":${version}}`),
      media: [],
    };
  }

  it('writes the files under content-addressed names and the manifest naming them, last', async () => {
    const { manifest, manifestBytes, filesDeleted } = await publishDataDir(writer, await residentBuild(1));
    expect(await readFile(join(dir, MANIFEST_FILE))).toEqual(Buffer.from(manifestBytes));
    expect(parseManifest(JSON.parse(new TextDecoder().decode(manifestBytes)))).toEqual(manifest);
    expect(manifest.version).toBe(1);
    // The spec names the model file next to the manifest, not the file it was converted from.
    expect(manifest.model.spec.file).toBe(manifest.model.file.path);
    expect(manifest).not.toHaveProperty('calibration');
    for (const ref of [manifest.index, manifest.catalog, manifest.model.file])
      expect(existsSync(join(dir, ref.path))).toBe(true);
    expect(filesDeleted).toBe(0);
  });

  it('writes a resident build with catalog shards as manifest v3 (v1 is a whole catalog)', async () => {
    const shards: [string, Uint8Array][] = [['shards.0123456789abcdef/items/0.json', encoder.encode('{}')]];
    const { manifest } = await publishDataDir(writer, { ...(await residentBuild(1)), catalogShards: shards });
    expect(manifest.version).toBe(3);
    expect(isShardedManifest(manifest)).toBe(false);
    expect(existsSync(join(dir, shards[0][0]))).toBe(true);
  });

  it("keeps the previous build's files one build long, then deletes them", async () => {
    const first = await publishDataDir(writer, await residentBuild(1));
    await publishDataDir(writer, await residentBuild(2));
    const firstCatalog = join(dir, first.manifest.catalog.path);
    expect(existsSync(firstCatalog)).toBe(true);
    const third = await publishDataDir(writer, await residentBuild(3));
    expect(existsSync(firstCatalog)).toBe(false);
    expect(third.filesDeleted).toBe(1);
  });

  it('writes a sharded build with its head size and keeps its shard folder whole', async () => {
    const positions = Uint32Array.from(embeddings, (_, i) => i);
    const index = (await assembleCellIndex(embeddings, positions, { modelId: SPEC.id, rowsPerCell: 8 }))
      .bytes;
    const shards: [string, Uint8Array][] = [
      ['shards.0123456789abcdef/items/0.json', encoder.encode('[]')],
      ['shards.0123456789abcdef/ids/0.json', encoder.encode('{}')],
    ];
    const build: BuildToPublish = {
      ...(await residentBuild(1)),
      layout: 'sharded',
      index,
      catalogShards: shards,
    };
    const { manifest } = await publishDataDir(writer, build);
    expect(isShardedManifest(manifest) && manifest.index.headBytes).toBeGreaterThan(0);
    for (const [path] of shards) expect(existsSync(join(dir, path))).toBe(true);
    await publishDataDir(writer, await residentBuild(2));
    await publishDataDir(writer, await residentBuild(3));
    expect(existsSync(join(dir, 'shards.0123456789abcdef'))).toBe(false);

    await expect(publishDataDir(writer, { ...build, count: build.count + 1 })).rejects.toThrow(
      /index has 40 rows, the catalog 41/,
    );
  });
});
