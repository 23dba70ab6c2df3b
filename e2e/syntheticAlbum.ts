import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CatalogItem } from '../core/catalog';
import { parseManifest, type Manifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { decodeIndex } from '../core/indexFormat';
import { WIDE_DIMS, assembleIndex } from '../index-builder/assembleIndex';
import { residentDims } from '../index-builder/publishSettings';
import { buildResidentCatalog } from '../index-builder/shardedCatalog';
import { MEDIA_FOLDERS } from '../storage/dataDirNames';
import { DataDirWriter } from '../storage/dataDirWriter';
import { fileDataSource } from '../storage/fileDataSource';
import { publishDataDir } from '../storage/publishDataDir';
import { E2E_DATA_DIR } from './harness';

/*
 * A data dir of one large album: random vectors (so id searches work on a real index of that many
 * rows) whose catalog items reuse the e2e fixture's thumbnails and are named `Image 1`, `Image 2`, …
 * in album order. Own-image search is not used with it, so the vectors need not come from the model.
 * The index is the one a build of this many images gets: from 6,144 images 256 int4 dims (index v5).
 */

function randomUnitVectors(count: number, dim: number): Float32Array[] {
  let state = 0x9e3779b9;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: dim }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

/**
 * Writes the data dir to `dir` (replacing it) through the builder's publisher (storage/publishDataDir.ts),
 * so its manifest names exactly the files it holds. Ids are `b` + 11 hex digits of the position.
 */
export async function writeSyntheticAlbum(dir: string, album: string, count: number): Promise<void> {
  const manifest = parseManifest(JSON.parse(readFileSync(join(E2E_DATA_DIR, 'manifest.json'), 'utf8')));
  const fixture = await (await openCollection(manifest, fileDataSource(E2E_DATA_DIR))).everyItem();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Opened first, in the empty folder, as a build opens it: media under the builder's names in a folder
  // no build wrote would be someone else's (storage/dataDirOwnership.ts).
  const writer = new DataDirWriter(dir);
  await writer.open();
  try {
    // The fixture's thumbnails and originals, which the items name: the media a build leaves in place.
    for (const sub of MEDIA_FOLDERS) cpSync(join(E2E_DATA_DIR, sub), join(dir, sub), { recursive: true });
    await publishSynthetic(writer, manifest, fixture, album, count);
  } finally {
    await writer.close();
  }
}

async function publishSynthetic(
  writer: DataDirWriter,
  manifest: Manifest,
  fixture: CatalogItem[],
  album: string,
  count: number,
): Promise<void> {
  const dims = residentDims(count);
  const { bytes: indexBytes, order } = await assembleIndex(randomUnitVectors(count, 320), {
    modelId: manifest.model.id,
    dims,
  });
  if (count >= 6_144 && decodeIndex(indexBytes).dims !== WIDE_DIMS)
    throw new Error(`expected the ${WIDE_DIMS}-dim index a build of ${count} images gets`);
  // Ids are hex, as the catalog's id shards need; listed in vector order, each at its index row.
  const items = Array.from({ length: count }, (_, i): CatalogItem => {
    const source = fixture[i % fixture.length];
    return { ...source, id: `b${i.toString(16).padStart(11, '0')}`, album, name: `Image ${i + 1}` };
  });
  const rowOf = new Uint32Array(count);
  order.forEach((i, row) => (rowOf[i] = row));
  const catalog = buildResidentCatalog(items, rowOf);
  // No neighbour lists (album-image queries search the index), duplicate groups or calibration: the
  // vectors are random, and the fixture's lists and groups are for its 30 images.
  await publishDataDir(writer, {
    layout: 'resident',
    createdAt: new Date(),
    count,
    model: {
      spec: manifest.model.spec,
      bytes: new Uint8Array(readFileSync(join(E2E_DATA_DIR, manifest.model.file.path))),
    },
    index: indexBytes,
    catalog: catalog.indexBytes,
    catalogShards: catalog.files,
    media: new Set(fixture.flatMap((item) => [item.thumb, item.original])),
  });
}
