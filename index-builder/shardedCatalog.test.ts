import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../core/catalog';
import { CatalogReader } from '../core/catalogReader';
import { parseCatalogIndex, type CatalogIndex, type CatalogLayout } from '../core/catalogShards';
import { crc32 } from '../core/crc32';
import type { DataSource } from '../core/dataSource';
import { fileRefFor } from '../core/manifest';
import { buildResidentCatalog, buildShardedCatalog } from './shardedCatalog';

/*
 * The one catalog format of both layouts, as the builder writes it and core's CatalogReader reads it:
 * the layout decides whether items carry vectors and whether there is a positions file.
 */

const hex = (i: number) => i.toString(16).padStart(12, '0');

/** Items in listing order: albums interleaved, so positions differ from listing order and from rows. */
const listed: CatalogItem[] = Array.from({ length: 23 }, (_, i) => ({
  id: hex(i * 7919),
  album: ['Zoo', 'Animals', 'Mountains'][i % 3],
  name: `image-${i}.png`,
  thumb: `thumbs/${hex(i * 7919)}.webp`,
  original: `originals/${hex(i * 7919)}.png`,
  width: 10 + i,
  height: 20,
}));
/** Index rows of the listed items: some permutation, as index v1's bucket order gives. */
const rowOfItem = listed.map((_, i) => (i * 5) % listed.length);

interface Written {
  indexBytes: Uint8Array;
  files: Map<string, Uint8Array>;
}

/** An in-memory data dir of a written catalog, recording reads. */
function memorySource(written: Written, indexPath: string): DataSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async file(path) {
      reads.push(path);
      const bytes = path === indexPath ? written.indexBytes : written.files.get(path);
      if (bytes === undefined) throw new Error(`no file ${path}`);
      return bytes.slice();
    },
    range: () => Promise.reject(new Error('no ranges')),
  };
}

async function open(written: Written, layout: CatalogLayout) {
  const ref = fileRefFor('catalog.0123456789abcdef.json', written.indexBytes);
  const source = memorySource(written, ref.path);
  const reader = await CatalogReader.open(ref, source, { count: listed.length, layout });
  return { reader, source };
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const parse = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;

/** A copy of `written` with `path` replaced and its CRC in the catalog index updated to match. */
function withFile(written: Written, path: string, bytes: Uint8Array): Written {
  const index = parse(written.indexBytes) as unknown as CatalogIndex;
  const item = path.match(/items\/(\d+)\.json$/);
  if (item) index.itemShardCrc[Number(item[1])] = crc32(bytes);
  else if (path.endsWith('positions.bin')) index.positionsCrc = crc32(bytes);
  else if (/ids\/(\w+)\.json$/.test(path)) {
    const prefix = /ids\/(\w+)\.json$/.exec(path)![1];
    index.idShardCrc[prefix === '_' ? 0 : parseInt(prefix, 16)] = crc32(bytes);
  } else throw new Error(`withFile: ${path}`);
  return { indexBytes: json(index), files: new Map([...written.files, [path, bytes]]) };
}

describe('buildResidentCatalog', () => {
  const written = buildResidentCatalog(listed, rowOfItem, 4);

  it('numbers items by album (sorted by name), listing order inside each, and maps rows to positions', async () => {
    const { reader } = await open(written, 'resident');
    expect(reader.albums.map((a) => [a.name, a.start, a.count])).toEqual([
      ['Animals', 0, 8],
      ['Mountains', 8, 7],
      ['Zoo', 15, 8],
    ]);
    const items = await reader.everyItem();
    expect(items.map((it) => it.name)).toEqual(written.positionItems.map((it) => it.name));
    expect(items.filter((it) => it.album === 'Animals').map((it) => it.name)).toEqual(
      listed.filter((it) => it.album === 'Animals').map((it) => it.name),
    );
    const positionOfRow = await reader.positionsOfRows();
    expect(Array.from(positionOfRow)).toEqual(Array.from(written.positionOfRow));
    for (const it of items) {
      expect(it).not.toHaveProperty('vector');
      expect(positionOfRow[it.row]).toBe(it.position);
      expect(it.row).toBe(rowOfItem[listed.findIndex((l) => l.id === it.id)]);
    }
  });

  it('reads the catalog index on open and only the shards a page or an id needs', async () => {
    const { reader, source } = await open(written, 'resident');
    expect(source.reads).toEqual(['catalog.0123456789abcdef.json']);
    const page = await reader.albumItems('Mountains', 2, 3);
    expect(page.map((it) => it.position)).toEqual([10, 11, 12]);
    expect(source.reads.slice(1)).toEqual([
      `${reader.index.dir}items/2.json`,
      `${reader.index.dir}items/3.json`,
    ]);
    const other = listed[1]; // Animals: in a shard not read yet, so its id shard is read
    expect((await reader.itemById(other.id))?.name).toBe(other.name);
    expect(source.reads).toContain(`${reader.index.dir}ids/_.json`);
    expect(await reader.itemById('ffffffffffff')).toBeUndefined();
    await expect(reader.itemsAtPositions([listed.length])).rejects.toThrow(/no item at catalog position 23/);
  });

  it('reads every file on readAll and lists them', async () => {
    const { reader, source } = await open(written, 'resident');
    await reader.readAll();
    expect(new Set(source.reads)).toEqual(new Set(reader.files()));
    expect(reader.files()).toEqual(['catalog.0123456789abcdef.json', ...written.files.keys()]);
  });

  it('asks whenIdle before every read of readAll, and reads nothing while it holds', async () => {
    const { reader, source } = await open(written, 'resident');
    const opened = source.reads.length;
    const waiting: (() => void)[] = [];
    let held = true;
    let asked = 0;
    const whenIdle = () => {
      asked++;
      return held ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve();
    };
    const all = reader.readAll(whenIdle);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(source.reads.length).toBe(opened);
    held = false;
    for (const resolve of waiting) resolve();
    await all;
    expect(new Set(source.reads)).toEqual(new Set(reader.files()));
    expect(asked).toBeGreaterThanOrEqual(reader.files().length - 1);
  });

  it('keeps every shard it read in memory: after readAll, lookups read nothing more', async () => {
    // One item per shard: more shards than a sharded catalog keeps, as in any collection past 64 × 64 items.
    const many = Array.from({ length: 150 }, (_, i) => ({
      ...listed[0],
      id: hex(i * 104729 + 1),
      name: `n${i}`,
    }));
    const manyWritten = buildResidentCatalog(
      many,
      many.map((_, i) => i),
      1,
    );
    const ref = fileRefFor('catalog.0123456789abcdef.json', manyWritten.indexBytes);
    const source = memorySource(manyWritten, ref.path);
    const reader = await CatalogReader.open(ref, source, { count: many.length, layout: 'resident' });
    await reader.readAll();
    const after = source.reads.length;
    for (const it of many) expect((await reader.itemById(it.id))?.name).toBe(it.name);
    expect(source.reads.length).toBe(after);
  });

  it('refuses a damaged shard or positions file, naming it, after one fresh read', async () => {
    const path = [...written.files.keys()].find((p) => p.endsWith('items/1.json'))!;
    const damaged = new Map(written.files);
    const bytes = written.files.get(path)!.slice();
    bytes[5] ^= 1;
    damaged.set(path, bytes);
    const { reader, source } = await open({ ...written, files: damaged }, 'resident');
    await expect(reader.itemsAt(4, 1)).rejects.toThrow(
      `${path} does not match its checksum in the catalog index`,
    );
    expect(source.reads.filter((p) => p === path)).toHaveLength(2);

    // Checksums match, content does not: a position given twice.
    const positions = `${reader.index.dir}positions.bin`;
    const twice = written.files.get(positions)!.slice();
    twice.set(twice.subarray(0, 4), 4);
    const bad = await open(withFile(written, positions, twice), 'resident');
    await expect(bad.reader.positionsOfRows()).rejects.toThrow(
      /positions\.bin: invalid sharded catalog: positions\.bin\[1\] \d+ is not a position or is given twice/,
    );
  });

  it('refuses an id shard that points an id at another image, naming it', async () => {
    // Checksums match, content does not: itemById would otherwise answer with another image.
    const [path, bytes] = [...written.files].find(([p]) => p.includes('/ids/'))!;
    const shard = parse(bytes) as { ids: Record<string, number> };
    const [first, second] = Object.keys(shard.ids);
    const swapped = {
      ...shard,
      ids: { ...shard.ids, [first]: shard.ids[second], [second]: shard.ids[first] },
    };
    const { reader } = await open(withFile(written, path, json(swapped)), 'resident');
    await expect(reader.itemById(first)).rejects.toThrow(
      `invalid catalog: ${path} puts ${first} at position ${shard.ids[second]}, which holds ${second}`,
    );
  });

  it('refuses items with a vector, and a catalog index without positions, in a resident build', async () => {
    const path = [...written.files.keys()].find((p) => p.endsWith('items/0.json'))!;
    const shard = parse(written.files.get(path)!) as { items: Record<string, unknown>[] };
    shard.items[0].vector = 'AAAA';
    const bad = await open(withFile(written, path, json(shard)), 'resident');
    await expect(bad.reader.itemsAt(0, 1)).rejects.toThrow(
      `${path}: invalid sharded catalog: items/0.items[0].vector must be absent in a resident build`,
    );
    const { positionsCrc: _crc, ...noPositions } = written.index;
    expect(() => parseCatalogIndex(noPositions, { layout: 'resident' })).toThrow(
      /positionsCrc is missing \(a resident build maps its index rows to catalog positions\)/,
    );
    // A sharded build's reader refuses a resident catalog index.
    await expect(open(written, 'sharded')).rejects.toThrow(/positionsCrc is for resident builds only/);
  });
});

describe('buildShardedCatalog', () => {
  const byAlbum = [...listed].sort((a, b) => (a.album < b.album ? -1 : a.album > b.album ? 1 : 0));
  const rowOfPosition = Uint32Array.from(byAlbum, (_, p) => (p * 3) % byAlbum.length);
  const written = buildShardedCatalog(byAlbum, rowOfPosition, (row) => Int8Array.of(row, -row, 7), 4);

  it('carries each item vector and has no positions file (catalog index version 1 as before)', async () => {
    const { reader } = await open(written, 'sharded');
    expect(reader.index.version).toBe(1);
    expect(reader.index.positionsCrc).toBeUndefined();
    expect(reader.files().some((f) => f.endsWith('positions.bin'))).toBe(false);
    const it = (await reader.itemsAt(5, 1))[0];
    expect(it.vector).toBe(btoa(String.fromCharCode(rowOfPosition[5], -rowOfPosition[5] & 0xff, 7)));
    await expect(reader.positionsOfRows()).rejects.toThrow(/no positions file/);
  });

  it('refuses an item without its vector, naming the shard', async () => {
    const path = [...written.files.keys()].find((p) => p.endsWith('items/1.json'))!;
    const shard = parse(written.files.get(path)!) as { items: Record<string, unknown>[] };
    delete shard.items[2].vector;
    const bad = await open(withFile(written, path, json(shard)), 'sharded');
    await expect(bad.reader.itemsAt(6, 1)).rejects.toThrow(
      `${path}: invalid sharded catalog: items/1.items[2].vector is missing (a sharded build's items carry their index vector)`,
    );
  });
});
