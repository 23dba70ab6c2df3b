import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogItem } from '../core/catalog';
import { isShardedManifest, parseManifest, type Manifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { buildIndex } from '../index-builder/buildIndex';
import { FolderSource } from '../index-builder/folderSource';
import { loadModel, type LoadedModel } from '../index-builder/loadModel';
import type { PublishSettings } from '../index-builder/publishSettings';
import { fileDataSource } from '../storage/fileDataSource';
import { phonePhoto, shapePng } from '../testing/builderFixtures';
import { writeFixtureSite } from '../testing/deployFixture';
import { startServer, type RunningServer } from './serve';

/*
 * A data dir keeps the previous build's files for the tabs still on it. `npm run serve` answers its
 * index, catalog and neighbour lists as before, but of thumbs/ and originals/ only what the current
 * build names, as deploy publishes (deploy/previousBuildMedia.test.ts): an image removed from the
 * collection, or an original with the metadata a rebuild took out, is a 404 from the moment the
 * rebuild's manifest is in place, with the server running all along. Real builds, resident and sharded.
 */

/** What phonePhoto writes into each photo's EXIF. */
const PRIVATE = 'Jane Doe';

let tmp: string;
let site: string;
let model: LoadedModel;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-serve-media-'));
  site = join(tmp, 'site');
  await writeFixtureSite(site, 1);
  model = await loadModel();
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const manifestOf = async (dataDir: string): Promise<Manifest> =>
  parseManifest(JSON.parse(await readFile(join(dataDir, 'manifest.json'), 'utf8')));

/** Builds `src` into `dataDir` and returns the items of the build, read as the site reads them. */
async function build(src: string, dataDir: string, settings: PublishSettings = {}): Promise<CatalogItem[]> {
  await buildIndex({
    source: new FolderSource(src),
    dataDir,
    model,
    cacheDir: join(tmp, 'cache'),
    ...settings,
  });
  const manifest = await manifestOf(dataDir);
  return (await openCollection(manifest, fileDataSource(dataDir))).everyItem();
}

async function withServer(dataDir: string, use: (server: RunningServer) => Promise<void>): Promise<void> {
  const server = await startServer({ distDir: site, dataDir, port: 0 });
  try {
    await use(server);
  } finally {
    await server.close();
  }
}

async function get(server: RunningServer, path: string): Promise<Response> {
  const res = await fetch(new URL(`data/${path}`, server.url));
  await res.arrayBuffer();
  return res;
}

/** The status serve answers for each path, keyed by path. */
async function statuses(server: RunningServer, paths: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const path of paths) out[path] = (await get(server, path)).status;
  return out;
}

const mediaOf = (items: CatalogItem[]) => items.flatMap((it) => [it.thumb, it.original]);
const answering = (paths: string[], status: number) => Object.fromEntries(paths.map((p) => [p, status]));

describe.each([
  ['resident', {}],
  ['sharded', { layout: 'sharded', rowsPerCell: 2, shardSize: 2 }],
] as const)(
  "npm run serve after a rebuild, %s: the previous build's thumbnails and originals",
  (layout, settings) => {
    it('of an image removed from the collection answer 404; the current ones and the previous index are served', async () => {
      const src = join(tmp, `${layout}-src`);
      const data = join(tmp, `${layout}-data`);
      mkdirSync(join(src, 'shapes'), { recursive: true });
      for (const [file, seed] of [
        ['kept-a.png', 1],
        ['kept-b.png', 2],
        ['kept-c.png', 3],
        ['removed.png', 4],
      ] as const) {
        await writeFile(join(src, 'shapes', file), await shapePng(seed));
      }
      const before = await build(src, data, settings);
      expect(isShardedManifest(await manifestOf(data))).toBe(layout === 'sharded');
      const removedItem = before.find((it) => it.name === 'removed.png')!;
      const removed = [removedItem.thumb, removedItem.original];

      await withServer(data, async (server) => {
        // Served while the build that names them is the current one.
        expect(await statuses(server, mediaOf(before))).toEqual(answering(mediaOf(before), 200));
        const previous = await manifestOf(data);

        await rm(join(src, 'shapes', 'removed.png'));
        const after = await build(src, data, settings);
        expect(after.map((it) => it.name).sort()).toEqual(['kept-a.png', 'kept-b.png', 'kept-c.png']);
        // Still on disk, for the previous build's tabs, but no longer served.
        for (const path of removed) expect(existsSync(join(data, path)), path).toBe(true);
        expect(await statuses(server, removed)).toEqual(answering(removed, 404));
        const notFound = await get(server, removed[0]);
        expect(notFound.headers.get('cache-control')).toBe('no-store');
        // However the name is spelled: encoded, with a query.
        const spelled = [removed[0].replace('/', '%2F'), `${removed[0]}?v=1`, `%74${removed[0].slice(1)}`];
        expect(await statuses(server, spelled)).toEqual(answering(spelled, 404));

        expect(await statuses(server, mediaOf(after))).toEqual(answering(mediaOf(after), 200));
        const thumb = await get(server, after[0].thumb);
        expect(thumb.headers.get('cache-control')).toContain('immutable');
        expect(thumb.headers.get('content-type')).toBe('image/webp');
        // The previous build's index and catalog stay for its tabs, as before.
        expect(await statuses(server, [previous.index.path, previous.catalog.path])).toEqual(
          answering([previous.index.path, previous.catalog.path], 200),
        );
      });

      // Without the builder's record of what it kept for the previous build (a data dir from before
      // it), serve reads the catalog instead: the same answers.
      await rm(join(data, 'retained-files.json'));
      await withServer(data, async (server) => {
        expect(await statuses(server, removed)).toEqual(answering(removed, 404));
        const current = mediaOf(await build(src, data, settings));
        expect(await statuses(server, current)).toEqual(answering(current, 200));
      });
    });
  },
);

describe('npm run serve after a rebuild without --keep-metadata', () => {
  it('answers 404 for the originals that still carry the metadata, and serves the stripped ones', async () => {
    const src = join(tmp, 'meta-src');
    const data = join(tmp, 'meta-data');
    mkdirSync(join(src, 'trip'), { recursive: true });
    for (let i = 0; i < 3; i++)
      await writeFile(join(src, 'trip', `photo${i}.jpg`), await phonePhoto(20 + i, 96));
    const kept = await build(src, data, { keepMetadata: true });
    const withMetadata = kept.map((it) => it.original);
    for (const path of withMetadata)
      expect((await readFile(join(data, path))).toString('latin1')).toContain(PRIVATE);

    await withServer(data, async (server) => {
      expect(await statuses(server, withMetadata)).toEqual(answering(withMetadata, 200));
      const stripped = (await build(src, data)).map((it) => it.original);
      expect(stripped.filter((p) => withMetadata.includes(p))).toEqual([]);
      for (const path of withMetadata) expect(existsSync(join(data, path)), path).toBe(true);
      expect(await statuses(server, withMetadata)).toEqual(answering(withMetadata, 404));
      expect(await statuses(server, stripped)).toEqual(answering(stripped, 200));
      for (const path of stripped) {
        const res = await fetch(new URL(`data/${path}`, server.url));
        expect(Buffer.from(await res.arrayBuffer()).toString('latin1'), path).not.toContain(PRIVATE);
      }
    });
  });
});
