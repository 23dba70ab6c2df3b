import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeIndex } from '../core/indexFormat';
import { catalogFromItems } from '../testing/catalogFromItems';
import { contentAddressedName, fileRefFor, isShardedManifest, type ResidentManifest } from '../core/manifest';
import { ResidentCollection } from '../core/residentCollection';
import type { DataSource } from '../core/dataSource';
import { fileDataSource } from '../storage/fileDataSource';
import { buildBothLayouts } from '../testing/bothLayouts';
import { openDataDir, readDataDirManifest } from './openDataDir';
import { queryById } from './queryDataDir';
import { openDuplicates } from './readDuplicates';

/*
 * openDataDir (what `npm run query` opens) reads both layouts through core/openCollection.ts, the reader
 * the site's worker opens over HTTP, and refuses damaged files as the worker does.
 */

const K = 5;
let tmp: string;
let residentDir: string;
let shardedDir: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-open-data-dir-'));
  ({ residentDir, shardedDir } = await buildBothLayouts(tmp));
}, 300_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of the resident data dir with one byte of `file` (a manifest entry) flipped. */
async function damagedCopy(file: 'index' | 'catalog'): Promise<string> {
  const dir = await mkdtemp(join(tmp, `damaged-${file}-`));
  await cp(residentDir, dir, { recursive: true });
  const manifest = (await readDataDirManifest(dir)) as ResidentManifest;
  const path = join(dir, manifest[file].path);
  const bytes = await readFile(path);
  bytes[bytes.length - 9] ^= 0x40;
  await writeFile(path, bytes);
  return dir;
}

describe('openDataDir', () => {
  it('opens each layout with its reader, and both answer every album-image query alike', async () => {
    const resident = await openDataDir(residentDir);
    const sharded = await openDataDir(shardedDir);
    expect(resident.collection.layout).toBe('resident');
    expect(sharded.collection.layout).toBe('sharded');
    expect(sharded.collection.count).toBe(resident.collection.count);
    expect(sharded.collection.albums.map((a) => [a.name, a.count])).toEqual(
      resident.collection.albums.map((a) => [a.name, a.count]),
    );
    let queries = 0;
    for (const album of resident.collection.albums) {
      for (const item of await resident.collection.albumItems(album.name, 0, album.count)) {
        const a = await queryById(resident.collection, item.id, K);
        const b = await queryById(sharded.collection, item.id, K);
        if (!('results' in a) || !('results' in b)) throw new Error(`query ${item.id} failed`);
        expect(a.results).toHaveLength(K);
        // Equal scores may come in another order: rows are numbered differently in the two layouts.
        // Resident album-image scores come from the neighbour lists, stored as float32.
        const key = (r: { id: string; score: number }) => `${Math.fround(r.score)}:${r.id}`;
        expect(new Set(b.results.map(key))).toEqual(new Set(a.results.map(key)));
        queries++;
      }
    }
    expect(queries).toBe(resident.collection.count);
    expect(await queryById(sharded.collection, '0123456789ab', K)).toEqual({
      id: '0123456789ab',
      error: "no item with id '0123456789ab' in the index",
    });
  });

  it('lists every item and every catalog file of either layout (what deploy publishes)', async () => {
    const resident = (await openDataDir(residentDir)).collection;
    const sharded = (await openDataDir(shardedDir)).collection;
    const residentItems = await resident.everyItem();
    const shardedItems = await sharded.everyItem();
    expect(residentItems).toHaveLength(resident.count);
    const byId = (items: { id: string }[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(shardedItems)).toEqual(byId(residentItems));
    // In album order, as the album pages list them.
    const firstAlbum = sharded.albums[0];
    expect(shardedItems.slice(0, firstAlbum.count)).toEqual(
      await sharded.albumItems(firstAlbum.name, 0, firstAlbum.count),
    );
    expect(residentItems.slice(0, resident.albums[0].count)).toEqual(
      await resident.albumItems(resident.albums[0].name, 0, resident.albums[0].count),
    );
    // Both layouts: the catalog index, then item shards, id shards (and a resident build's positions).
    const residentManifest = await readDataDirManifest(residentDir);
    const shardedManifest = await readDataDirManifest(shardedDir);
    for (const [collection, manifest, dir] of [
      [resident, residentManifest, residentDir],
      [sharded, shardedManifest, shardedDir],
    ] as const) {
      const files = collection.catalogFiles();
      expect(files[0]).toBe(manifest.catalog.path);
      expect(files.filter((f) => f.includes('/items/')).length).toBeGreaterThan(1);
      expect(files.filter((f) => f.includes('/ids/')).length).toBeGreaterThan(0);
      expect(files.filter((f) => f.endsWith('/positions.bin'))).toHaveLength(collection === resident ? 1 : 0);
      for (const f of files) await expect(readFile(join(dir, f))).resolves.toBeInstanceOf(Buffer);
    }
  });

  it('answers album-image queries of a resident build from its neighbour lists: exact, the index unread', async () => {
    const manifest = (await readDataDirManifest(residentDir)) as ResidentManifest;
    expect(manifest.neighbours?.k).toBe(10);
    const files = fileDataSource(residentDir);
    const reads: string[] = [];
    const spy: DataSource = {
      file: (path, fresh) => (reads.push(path), files.file(path, fresh)),
      range: files.range,
    };
    const collection = await ResidentCollection.open(manifest, spy);
    // Opening reads the catalog index only; a query reads catalog shards, never the whole catalog.
    expect(reads).toEqual([manifest.catalog.path]);
    const first = await collection.searchById(collection.albums[0].cover.id, 10);
    expect(first.results).toHaveLength(10);
    expect(reads.filter((p) => p.endsWith('positions.bin') || p === manifest.index.path)).toEqual([]);
    // Rows pair the index's vectors with their items (index v1 orders rows by bucket, the catalog by album).
    const items = await collection.itemsInRowOrder();
    const answers = new Map<string, { id: string; score: number }[]>();
    for (const item of items) answers.set(item.id, (await collection.searchById(item.id, 10)).results);
    // Neighbour lists are by catalog position: neither the index nor the rows' positions are read.
    expect(reads).not.toContain(manifest.index.path);
    expect(reads.some((p) => p.endsWith('positions.bin'))).toBe(true); // itemsInRowOrder read it
    expect(new Set(reads)).toEqual(
      new Set([...collection.catalogFiles(), ...manifest.neighbours!.shards.map((s) => s.path)]),
    );
    // The exact int8 top 10 of every row (the index's exact scan; ties may come in another order), scores
    // to float32 precision; a smaller k is a prefix.
    const index = decodeIndex(await readFile(join(residentDir, manifest.index.path)));
    const key = (r: { id: string; score: number }) => `${Math.fround(r.score)}:${r.id}`;
    for (const [row, item] of items.entries()) {
      const exact = index.searchWith(index.vector(row), 10, { kind: 'exact' }, row);
      const fromLists = answers.get(item.id)!;
      expect(new Set(fromLists.map(key))).toEqual(
        new Set(exact.map((h) => key({ id: items[h.row].id, score: h.score }))),
      );
      expect((await collection.searchById(item.id, 3)).results).toEqual(fromLists.slice(0, 3));
    }
    // Beyond the lists' k, the index answers.
    expect((await collection.searchById(items[0].id, 12)).results).toHaveLength(
      Math.min(12, items.length - 1),
    );
  });

  it('prefetches only as whenIdle lets it', async () => {
    const manifest = (await readDataDirManifest(residentDir)) as ResidentManifest;
    const files = fileDataSource(residentDir);
    const reads: string[] = [];
    const source: DataSource = {
      file: (path, fresh) => {
        reads.push(path);
        return files.file(path, fresh);
      },
      range: files.range,
    };
    const collection = await ResidentCollection.open(manifest, source);
    const opened = reads.length;
    const waiting: (() => void)[] = [];
    let held = true;
    const prefetched = collection.prefetch(() =>
      held ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve(),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads.length).toBe(opened);
    held = false;
    for (const resolve of waiting) resolve();
    await prefetched;
    expect(reads).toEqual(expect.arrayContaining(manifest.neighbours!.shards.map((r) => r.path)));
  });

  it('reads every neighbour shard ahead on prefetch, so album-image queries then need no source', async () => {
    const manifest = (await readDataDirManifest(residentDir)) as ResidentManifest;
    const files = fileDataSource(residentDir);
    let online = true;
    const reads: string[] = [];
    const source: DataSource = {
      file: (path, fresh) => {
        if (!online) return Promise.reject(new Error(`offline: ${path}`));
        reads.push(path);
        return files.file(path, fresh);
      },
      range: files.range,
    };
    // A cache behind the source (the worker's IndexedDB) keeps what was read.
    const cached = new Map<string, Uint8Array>();
    const caching: DataSource = {
      file: async (path, fresh) => cached.get(path) ?? (await source.file(path, fresh)),
      range: files.range,
    };
    const remember: DataSource = {
      file: async (path, fresh) => {
        const bytes = await caching.file(path, fresh);
        cached.set(path, bytes);
        return bytes;
      },
      range: files.range,
    };
    const collection = await ResidentCollection.open(manifest, remember);
    await collection.prefetch();
    expect(reads.sort()).toEqual(
      [...collection.catalogFiles(), ...manifest.neighbours!.shards.map((r) => r.path)].sort(),
    );
    online = false;
    const again = await ResidentCollection.open(manifest, remember);
    for (const album of again.albums)
      expect(await again.albumItems(album.name, 0, album.count)).toHaveLength(album.count);
    for (const item of await again.everyItem())
      expect((await again.searchById(item.id, 10)).results.length).toBeGreaterThan(0);
    await expect(again.transform()).rejects.toThrow(/offline/);
  });

  it.each(['index', 'catalog'] as const)('refuses a damaged %s file of a resident build', async (file) => {
    const dir = await damagedCopy(file);
    const manifest = (await readDataDirManifest(dir)) as ResidentManifest;
    const message = `${manifest[file].path} does not match its manifest entry (size or SHA-256)`;
    // The catalog is read on open; the index when a query first needs it.
    if (file === 'catalog') await expect(openDataDir(dir)).rejects.toThrow(message);
    else await expect((await openDataDir(dir)).collection.transform()).rejects.toThrow(message);
  });

  it('refuses a damaged or missing model or duplicates file, naming it and the dir', async () => {
    const dir = await mkdtemp(join(tmp, 'damaged-model-'));
    await cp(residentDir, dir, { recursive: true });
    const manifest = await readDataDirManifest(dir);
    const model = manifest.model.file.path;
    const bytes = await readFile(join(dir, model));
    bytes[bytes.length - 9] ^= 0x40;
    await writeFile(join(dir, model), bytes);
    await expect(openDataDir(dir)).rejects.toThrow(
      `model ${model} in ${dir} does not match its manifest entry (size or SHA-256)`,
    );
    const duplicates = manifest.duplicates!.file.path;
    await writeFile(join(dir, duplicates), '{}');
    await expect(openDuplicates(dir)).rejects.toThrow(
      `duplicates file ${duplicates} in ${dir} does not match its manifest entry (size or SHA-256)`,
    );
    await rm(join(dir, duplicates));
    await expect(openDuplicates(dir)).rejects.toThrow(
      `duplicates file ${duplicates} is missing from ${dir}: ENOENT`,
    );
  });

  it('refuses a damaged catalog shard of a resident build, naming the file', async () => {
    const dir = await mkdtemp(join(tmp, 'damaged-shard-'));
    await cp(residentDir, dir, { recursive: true });
    const { collection } = await openDataDir(dir);
    const shard = collection.catalogFiles().find((f) => f.endsWith('/items/0.json'))!;
    const bytes = await readFile(join(dir, shard));
    bytes[bytes.length - 9] ^= 0x01;
    await writeFile(join(dir, shard), bytes);
    const album = collection.albums[0];
    const opened = (await openDataDir(dir)).collection;
    await expect(opened.albumItems(album.name, 0, 1)).rejects.toThrow(
      `${shard} does not match its checksum in the catalog index`,
    );
    await expect(opened.everyItem()).rejects.toThrow(shard);
  });

  it('reads a data dir of a builder before the sharded catalog: manifest v1 with one whole catalog', async () => {
    const current = (await openDataDir(residentDir)).collection as ResidentCollection;
    const manifest = (await readDataDirManifest(residentDir)) as ResidentManifest;
    const dir = await mkdtemp(join(tmp, 'whole-catalog-'));
    await cp(residentDir, dir, { recursive: true });
    // What older builders wrote: items in index-row order, no neighbour lists (they were by row).
    const catalog = Buffer.from(JSON.stringify(catalogFromItems(await current.itemsInRowOrder())));
    const catalogPath = contentAddressedName('catalog', 'json', catalog);
    await writeFile(join(dir, catalogPath), catalog);
    const { neighbours: _lists, ...rest } = manifest;
    const old = { ...rest, version: 1, catalog: fileRefFor(catalogPath, catalog) };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(old));
    const legacy = (await openDataDir(dir)).collection;
    expect(legacy.catalogFiles()).toEqual([catalogPath]);
    expect(legacy.albums).toEqual(
      // Album order and counts agree; a cover is its album's first item in either catalog's order.
      current.albums.map((a) => ({ ...a, cover: legacy.albums.find((b) => b.name === a.name)!.cover })),
    );
    expect(new Set((await legacy.everyItem()).map((it) => it.id))).toEqual(
      new Set((await current.everyItem()).map((it) => it.id)),
    );
    const id = current.albums[0].cover.id;
    expect(await legacy.item(id)).toEqual(await current.item(id));
    // Both answer from the same index (k beyond the lists, so the current build uses it too).
    expect((await legacy.searchById(id, 12)).results).toEqual((await current.searchById(id, 12)).results);
  });

  it('reads a file whose cached copy is damaged once more, fresh, and names the file it cannot decode', async () => {
    const manifest = await readDataDirManifest(residentDir);
    if (isShardedManifest(manifest)) throw new Error('expected a resident build');
    const files = fileDataSource(residentDir);
    const freshReads: string[] = [];
    const staleCache: DataSource = {
      async file(path, fresh) {
        const bytes = await files.file(path);
        if (fresh) freshReads.push(path);
        else bytes[bytes.length - 9] ^= 0x40;
        return bytes;
      },
      range: files.range,
    };
    const collection = await ResidentCollection.open(manifest, staleCache);
    expect(collection.count).toBe(manifest.count);
    await collection.index();
    expect(freshReads.sort()).toEqual([manifest.catalog.path, manifest.index.path].sort());
    // A source that vouches for its bytes (the worker's verified loader) is not checked twice.
    const trusting = await ResidentCollection.open(
      manifest,
      {
        file: (path) => (path === manifest.index.path ? staleCache.file(path) : files.file(path)),
        range: files.range,
      },
      true,
    );
    await expect(trusting.index()).rejects.toThrow(
      new RegExp(`^${manifest.index.path.replaceAll('.', '\\.')}: `),
    );
  });
});
