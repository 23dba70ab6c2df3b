import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexFormatError } from '../core/indexFormat';
import { cellByteRange } from '../core/cellIndexFormat';
import { itemShardPath } from '../core/catalogShards';
import type { DataSource } from '../core/dataSource';
import { httpDataSource, RangeNotSupportedError } from '../core/httpDataSource';
import { isShardedManifest, parseManifest, type ShardedManifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { ShardedReader, type CellStore } from '../core/shardedReader';
import { runDeploy } from '../deploy/deploy';
import { writeFixtureSite } from '../testing/deployFixture';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { buildBothLayouts } from '../testing/bothLayouts';
import { fileDataSource } from '../storage/fileDataSource';
import { loadDataDir, type LoadedDataDir } from '../testing/loadDataDir';
import { queryById } from './queryDataDir';
import { runCli } from '../testing/builderCli';

/*
 * The sharded layout against the resident one, over the same images: built both ways, the sharded one
 * published with the deploy code to s3rver (a real S3 HTTP API) and read back with Range requests.
 */

const projectDir = fileURLToPath(new URL('..', import.meta.url));
const BUCKET = 'lookalike-sharded';
const PREFIX = 'site';
const K = 10;

let tmp: string;
let s3: RunningS3rver;
let resident: LoadedDataDir;
let shardedDir: string;
let manifest: ShardedManifest;
let dataUrl: string;

async function readManifest(dir: string): Promise<ShardedManifest> {
  const m = parseManifest(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  if (!isShardedManifest(m)) throw new Error('expected a sharded build');
  return m;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-sharded-'));
  let residentDir: string;
  ({ residentDir, shardedDir } = await buildBothLayouts(tmp));
  resident = await loadDataDir(residentDir);
  manifest = await readManifest(shardedDir);

  s3 = await startS3rver();
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  const site = join(tmp, 'site');
  await writeFixtureSite(site, 1);
  Object.assign(process.env, S3RVER_CREDENTIALS);
  await runDeploy({
    bucket: BUCKET,
    prefix: PREFIX,
    region: 'us-east-1',
    endpoint: s3.endpoint,
    siteDir: site,
    dataDir: shardedDir,
    buildSiteIfMissing: false,
    projectDir,
    dryRun: false,
    deleteStale: false,
    configure: false,
    concurrency: 4,
    log: () => {},
  });
  dataUrl = `${s3.endpoint}/${BUCKET}/${PREFIX}/data/`;
});

afterAll(async () => {
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A CellStore in a Map, as the worker's IndexedDB one behaves; `stored` to look at or damage it. */
function memoryCellStore(): { stored: Map<string, Uint8Array>; store: CellStore } {
  const stored = new Map<string, Uint8Array>();
  const store: CellStore = {
    getMany: async (keys) => keys.map((key) => stored.get(key)),
    setMany: async (entries) => entries.forEach(([key, value]) => stored.set(key, value)),
    delete: async (key) => void stored.delete(key),
  };
  return { stored, store };
}

describe('a sharded data dir served from s3rver with Range requests', () => {
  it('is what the builder wrote: many cells, item shards and an index head far smaller than the file', async () => {
    const c = await ShardedReader.open(manifest, fileDataSource(shardedDir));
    expect(c.count).toBe(30);
    expect(c.head.cells).toBeGreaterThanOrEqual(6);
    expect(c.catalog.itemShardCrc.length).toBe(8);
    expect(c.albums.map((a) => [a.name, a.start, a.count])).toEqual([
      ['Apple', 0, 10],
      ['Google', 10, 10],
      ['Twitter', 20, 10],
    ]);
    const items = await (await openCollection(manifest, fileDataSource(shardedDir))).everyItem();
    expect(items.map((it) => it.id).sort()).toEqual(resident.catalog.items.map((it) => it.id).sort());
  });

  it('gives the resident index results for every album image, probing every cell', async () => {
    const remote = await ShardedReader.open(manifest, httpDataSource(dataUrl));
    const all = await remote.itemsAt(0, remote.count);
    expect(all).toHaveLength(30);
    for (const item of all) {
      const sharded = await remote.searchByItem(item, K, remote.count);
      const expected = await queryById(resident.collection, item.id, K);
      if (!('results' in expected)) throw new Error(`resident query failed for ${item.id}`);
      // The resident build answers from its neighbour lists, whose scores are float32.
      expect(sharded.hits.map((h) => Math.fround(h.score))).toEqual(expected.results.map((r) => r.score));
      // Equal scores may come in another order: rows are numbered differently in the two layouts.
      const key = (id: string, score: number) => `${Math.fround(score)}:${id}`;
      expect(new Set(sharded.hits.map((h) => key(h.item.id, h.score)))).toEqual(
        new Set(expected.results.map((r) => key(r.id, r.score))),
      );
    }
    // Range requests: head and cells only; the transform (most of this small file) was never read.
    expect(remote.stats.bytes).toBeLessThan(manifest.index.bytes);
  });

  it('reads only the probed cells, and the same cells over HTTP and from disk give the same results', async () => {
    const remote = await ShardedReader.open(manifest, httpDataSource(dataUrl));
    const local = await ShardedReader.open(manifest, fileDataSource(shardedDir));
    const headOnly = remote.stats.bytes;
    const item = (await remote.itemsAt(12, 1))[0];
    const partial = await remote.searchByItem(item, 5, 6);
    expect(partial.cellsProbed).toBeLessThan(remote.head.cells);
    expect(partial.rowsScored).toBeLessThan(30);
    const cellBytes = partial.rowsScored * remote.head.rowBytes;
    expect(partial.fetched.bytes).toBeLessThan(cellBytes + 6 * 1024); // cells + the shards of the results
    expect(headOnly).toBeLessThan(manifest.index.bytes);
    const fromDisk = await local.searchByItem(item, 5, 6);
    expect(partial.hits.map((h) => [h.item.id, h.score])).toEqual(
      fromDisk.hits.map((h) => [h.item.id, h.score]),
    );
    expect(await remote.itemById(item.id)).toEqual(item);
    expect(await remote.itemById('000000000000')).toBeUndefined();
  });

  it('answers an own-image vector query with the transform fetched on demand', async () => {
    const remote = await ShardedReader.open(manifest, httpDataSource(dataUrl));
    const transform = await remote.transform();
    expect(transform.inputDim).toBe(resident.index.transform.inputDim);
    expect(Array.from(transform.mean)).toEqual(Array.from(resident.index.transform.mean));
    const row = resident.catalog.items.findIndex((it) => it.album === 'Google');
    const q = resident.index.vector(row);
    const got = await remote.searchByVector(q, K, remote.count);
    const expected = resident.index.searchByVector(q, K);
    expect(got.hits.map((h) => h.score)).toEqual(expected.map((h) => h.score));
    expect(got.hits[0].item.id).toBe(resident.catalog.items[row].id);
  });

  it('detects a corrupted cell on disk and in the cell store, refetching from the store case', async () => {
    const corruptDir = join(tmp, 'corrupt');
    await rm(corruptDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.cp(shardedDir, corruptDir, { recursive: true }));
    const indexPath = join(corruptDir, manifest.index.path);
    const bytes = await readFile(indexPath);
    const c = await ShardedReader.open(manifest, fileDataSource(corruptDir));
    const [start] = cellByteRange(c.head, 0);
    bytes[start + 1] ^= 0x40;
    await writeFile(indexPath, bytes);
    const item = (await c.itemsAt(0, 30)).find((it) => it.row < c.head.cellRows[1]);
    await expect(c.searchByItem(item!, 3, 1)).rejects.toThrow(IndexFormatError);
    await expect(c.searchByItem(item!, 3, 1)).rejects.toThrow(/cell 0 checksum mismatch/);

    const { stored, store } = memoryCellStore();
    const first = await ShardedReader.open(manifest, httpDataSource(dataUrl), store);
    const good = await first.searchByItem(item!, 3, 1);
    await new Promise((resolve) => setTimeout(resolve, 10)); // cells are stored after the answer
    expect(stored.size).toBeGreaterThan(0);
    for (const value of stored.values()) value[0] ^= 0xff; // every stored cell damaged
    const second = await ShardedReader.open(manifest, httpDataSource(dataUrl), store);
    const again = await second.searchByItem(item!, 3, 1);
    expect(again.fetched.cellsFromStore).toBe(0);
    expect(again.hits).toEqual(good.hits);
    const third = await ShardedReader.open(manifest, httpDataSource(dataUrl), store);
    expect((await third.searchByItem(item!, 3, 1)).fetched.cellsFromStore).toBeGreaterThan(0);
  });

  it("starts loading the likely results' item shards before the far cells arrive", async () => {
    const { stored, store } = memoryCellStore();
    // The store holds the cells nearest to the query (a first search that read most of the rows).
    const first = await ShardedReader.open(manifest, httpDataSource(dataUrl), store);
    const item = (await first.itemsAt(12, 1))[0];
    await first.searchByItem(item, 5, Math.ceil((first.count * 2) / 3));
    await new Promise((resolve) => setTimeout(resolve, 10)); // cells are stored after the answer
    expect(stored.size).toBeGreaterThan(0);

    // A new reader (nothing in memory, no item shard loaded) asked to read every cell.
    const calls: string[] = [];
    const http = httpDataSource(dataUrl);
    const logged: DataSource = {
      file: (path, fresh) => (calls.push(`file ${path}`), http.file(path, fresh)),
      range: (path, start, end, fresh) => (calls.push(`range ${path}`), http.range(path, start, end, fresh)),
    };
    const second = await ShardedReader.open(manifest, logged, store);
    calls.length = 0;
    const found = await second.searchByItem(item, 5, second.count);
    const cellRequest = calls.indexOf(`range ${manifest.index.path}`);
    const shardRequests = found.hits.map((h) =>
      calls.indexOf(
        `file ${itemShardPath(second.catalog, Math.floor(h.item.position / second.catalog.shardSize))}`,
      ),
    );
    expect(cellRequest).toBeGreaterThan(0);
    expect(Math.min(...shardRequests)).toBeGreaterThanOrEqual(0);
    expect(Math.min(...shardRequests)).toBeLessThan(cellRequest);
    // The answer is the one a reader with nothing cached gives.
    const plain = await ShardedReader.open(manifest, httpDataSource(dataUrl));
    expect(found.hits).toEqual((await plain.searchByItem(item, 5, plain.count)).hits);
  });

  it('npm run query reads a sharded data dir like the page does', async () => {
    const local = await ShardedReader.open(manifest, fileDataSource(shardedDir));
    const item = (await local.itemsAt(25, 1))[0];
    const run = await runCli('queryCli.ts', ['--index', shardedDir, '--json', '--k', '4', '--id', item.id]);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      results: { id: string; score: number }[];
    };
    const expected = await local.searchByItem(item, 4);
    expect(printed.results.map((r) => [r.id, r.score])).toEqual(
      expected.hits.map((h) => [h.item.id, h.score]),
    );
  });

  it('refuses a host that ignores Range instead of downloading whole files', async () => {
    const noRange: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete('Range');
      return fetch(input, { ...init, headers });
    };
    await expect(ShardedReader.open(manifest, httpDataSource(dataUrl, noRange))).rejects.toThrow(
      RangeNotSupportedError,
    );
  });
});
