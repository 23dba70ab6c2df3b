import { CATALOG_VERSION, type Catalog } from '../core/catalog';
import type { ResidentIndex } from '../core/residentIndex';
import type { ResidentManifest } from '../core/manifest';
import { ResidentCollection } from '../core/residentCollection';
import type { LoadedModel } from '../index-builder/loadModel';
import { openDataDir } from '../index-builder/openDataDir';

/** A resident data dir's index and catalog in memory, for tests and benches that look inside them. */
export interface LoadedDataDir {
  manifest: ResidentManifest;
  /** core's reader of the build (what `npm run query` and the site search); index and catalog are its. */
  collection: ResidentCollection;
  index: ResidentIndex;
  /** Every item, `items[i]` the item of index row i (read from the build's catalog shards). */
  catalog: Catalog;
  /** The model that made the vectors, for featurizing query images. */
  model: LoadedModel;
}

/** openDataDir for a resident build, exposing the ResidentCollection's decoded index and catalog. */
export async function loadDataDir(dir: string): Promise<LoadedDataDir> {
  const { manifest, collection, model } = await openDataDir(dir);
  if (!(collection instanceof ResidentCollection))
    throw new Error(`${dir} holds a ${collection.layout} build; open it with openDataDir`);
  return {
    manifest: manifest as ResidentManifest,
    collection,
    index: await collection.index(),
    catalog: {
      version: CATALOG_VERSION,
      albums: collection.albums.map((a) => ({ name: a.name, count: a.count, cover: a.cover.id })),
      items: await collection.itemsInRowOrder(),
    },
    model,
  };
}
