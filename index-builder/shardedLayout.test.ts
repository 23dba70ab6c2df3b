import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexFormatError } from '../core/indexFormat';
import {
  cellByteRange,
  decodeCell,
  decodeCellIndexHead,
  decodeCellTransform,
  encodeCellIndex,
} from '../core/cellIndexFormat';
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

/** The same index without its items (v3, or v2 without copies): what builders wrote before v4. */
function withoutItems(v4: Uint8Array): Uint8Array {
  const head = decodeCellIndexHead(v4);
  const transform = decodeCellTransform(
    head,
    v4.subarray(head.transformOffset, head.transformOffset + head.transformBytes),
  );
  const cells = Array.from({ length: head.cells }, (_, c) => {
    const [start, end] = cellByteRange(head, c);
    return decodeCell(head, c, v4.subarray(start, end));
  });
  const own = (c: (typeof cells)[number]) => c.count - c.copies;
  const copyRows = new Uint32Array(head.cells + 1);
  cells.forEach((c, i) => (copyRows[i + 1] = copyRows[i] + c.copies));
  const dims = head.dims;
  return encodeCellIndex({
    modelId: head.modelId,
    transform,
    centroids: head.centroids,
    cellRows: head.cellRows,
    vectors: Int8Array.from(cells.flatMap((c) => Array.from(c.vectors.subarray(0, own(c) * dims)))),
    positions: Uint32Array.from(cells.flatMap((c) => Array.from(c.positions.subarray(0, own(c))))),
    copies: {
      rows: copyRows,
      vectors: Int8Array.from(cells.flatMap((c) => Array.from(c.vectors.subarray(own(c) * dims)))),
      positions: Uint32Array.from(cells.flatMap((c) => Array.from(c.positions.subarray(own(c))))),
    },
  });
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

  it('keeps the transform in the cell store: the next visit reads it there (offline too), a damaged copy is fetched again', async () => {
    const { stored, store } = memoryCellStore();
    const first = await ShardedReader.open(manifest, httpDataSource(dataUrl), store);
    const expected = await first.transform();
    await new Promise((resolve) => setTimeout(resolve, 10)); // stored after the answer
    const key = `transform:${manifest.index.sha256}`;
    expect(stored.has(key)).toBe(true);

    const again = await ShardedReader.open(manifest, httpDataSource(dataUrl), store);
    const before = again.stats.requests;
    expect(await again.transform()).toEqual(expected);
    expect(again.stats.requests).toBe(before);

    stored.get(key)![10] ^= 0xff;
    const third = await ShardedReader.open(manifest, httpDataSource(dataUrl), store);
    const requests = third.stats.requests;
    expect(await third.transform()).toEqual(expected);
    expect(third.stats.requests).toBe(requests + 1);
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

  it('refuses an index head whose size is not the one the manifest gives, before reading any cell', async () => {
    // A head (checksummed as a whole) claiming cells past the file's end would have each query ask for,
    // and allocate, those ranges.
    const other = { ...manifest, index: { ...manifest.index, bytes: manifest.index.bytes + 4096 } };
    await expect(ShardedReader.open(other, fileDataSource(shardedDir))).rejects.toThrow(
      `index head does not match the manifest (${manifest.index.bytes} bytes with a ${manifest.index.headBytes}-byte head; the manifest says ${manifest.index.bytes + 4096} and ${manifest.index.headBytes})`,
    );
  });

  it('answers with the items its cells carry (index v4): no item or id shard is read, to search or open a result', async () => {
    const calls: string[] = [];
    const http = httpDataSource(dataUrl);
    const logged: DataSource = {
      file: (path, fresh) => (calls.push(`file ${path}`), http.file(path, fresh)),
      range: (path, start, end, fresh) => (calls.push(`range ${path}`), http.range(path, start, end, fresh)),
    };
    const reader = await ShardedReader.open(manifest, logged);
    expect(reader.head.hasItems).toBe(true);
    const item = (await reader.itemsAt(12, 1))[0];
    calls.length = 0;
    const found = await reader.searchByItem(item, K, reader.count);
    expect(found.hits).toHaveLength(K);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c === `range ${manifest.index.path}`)).toBe(true);
    // Each result is the item its catalog shard holds, vector included, so a result opens and is
    // queried in turn without another read.
    const plain = await ShardedReader.open(manifest, fileDataSource(shardedDir));
    for (const h of found.hits) expect(h.item).toEqual((await plain.itemsAt(h.item.position, 1))[0]);
    calls.length = 0;
    const opened = await reader.itemById(found.hits[3].item.id);
    expect(opened).toEqual(found.hits[3].item);
    const next = await reader.searchByItem(opened!, K, reader.count);
    expect(calls).toEqual([]);
    expect(next.hits.map((h) => h.item.id)).toEqual(
      (await plain.searchByItem(opened!, K, plain.count)).hits.map((h) => h.item.id),
    );
  });

  it('queries at once that probe the same cells fetch each cell once (the k selector changed mid-query)', async () => {
    const ranges: string[] = [];
    const disk = fileDataSource(shardedDir);
    const logged: DataSource = {
      file: (path, fresh) => disk.file(path, fresh),
      range: (path, start, end, fresh) => {
        if (start > 0) ranges.push(`${start}-${end}`);
        return disk.range(path, start, end, fresh);
      },
    };
    const reader = await ShardedReader.open(manifest, logged);
    const item = (await reader.itemsAt(12, 1))[0];
    ranges.length = 0;
    const [a, b, c] = await Promise.all([5, 6, 7].map((k) => reader.searchByItem(item, k, reader.count)));
    expect(ranges.length).toBeGreaterThan(0);
    // Before, each query asked for them again: three times the requests.
    expect(new Set(ranges).size).toBe(ranges.length);
    expect(c.hits.slice(0, 6)).toEqual(b.hits);
    expect(b.hits.slice(0, 5)).toEqual(a.hits);
    const plain = await ShardedReader.open(manifest, disk);
    expect(c.hits.map((h) => h.item.id)).toEqual(
      (await plain.searchByItem(item, 7, plain.count)).hits.map((h) => h.item.id),
    );

    // A failed request fails every query waiting for its cells, and the next query asks again.
    let failing = true;
    const flaky = await ShardedReader.open(manifest, {
      file: (path, fresh) => disk.file(path, fresh),
      range: (path, start, end, fresh) =>
        start > 0 && failing
          ? Promise.reject(new Error('connection reset'))
          : disk.range(path, start, end, fresh),
    });
    const results = await Promise.allSettled([5, 6].map((k) => flaky.searchByItem(item, k, flaky.count)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    failing = false;
    expect((await flaky.searchByItem(item, 5, flaky.count)).hits).toEqual(a.hits);
  });

  it('still reads an index written before v4 (results from the item shards), with the same answers', async () => {
    const oldDir = join(tmp, 'index-v3');
    await rm(oldDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.cp(shardedDir, oldDir, { recursive: true }));
    const v4 = await readFile(join(shardedDir, manifest.index.path));
    const v3 = withoutItems(v4);
    expect(new DataView(v3.buffer).getUint32(8, true)).toBeLessThan(4); // v2 when no row is copied
    await writeFile(join(oldDir, manifest.index.path), v3);
    const oldManifest: ShardedManifest = {
      ...manifest,
      index: { ...manifest.index, bytes: v3.length, headBytes: decodeCellIndexHead(v3).headBytes },
    };
    const old = await ShardedReader.open(oldManifest, fileDataSource(oldDir));
    const now = await ShardedReader.open(manifest, fileDataSource(shardedDir));
    expect(old.head.hasItems).toBe(false);
    for (const position of [0, 12, 29]) {
      const item = (await now.itemsAt(position, 1))[0];
      const before = old.stats.requests;
      const a = await old.searchByItem(item, K, 6);
      expect(a.fetched.requests).toBeGreaterThan(0);
      expect(old.stats.requests).toBeGreaterThan(before);
      expect(a.hits).toEqual((await now.searchByItem(item, K, 6)).hits);
    }
  });

  it('npm run query reads a sharded data dir like the page does', async () => {
    const local = await ShardedReader.open(manifest, fileDataSource(shardedDir));
    const item = (await local.itemsAt(25, 1))[0];
    const run = await runCli('queryCli.ts', [
      '--data-dir',
      shardedDir,
      '--json',
      '--k',
      '4',
      '--id',
      item.id,
    ]);
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
