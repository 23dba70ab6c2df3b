import type { Manifest } from '../core/manifest';
import { openCollection } from '../core/openCollection';
import { fileDataSource } from './fileDataSource';

/** What a build's catalog names in its data dir. */
export interface CatalogReferences {
  /** The catalog's own files: its catalog index and shards (or the whole catalog of an older build). */
  catalogFiles: string[];
  /**
   * The data-dir paths of every item's thumbnail and original: the only media of the data dir that
   * belong to this build. The rest of thumbs/ and originals/ are the previous build's (images removed
   * from the collection, originals with the metadata a rebuild took out) or not the builder's at all.
   */
  media: Set<string>;
}

/**
 * Reads the catalog `manifest` names in `dataDir` with the reader the site and `npm run query` use
 * (core/openCollection.ts, resident or sharded as the manifest says), so that what it cannot read the
 * site could not either. Deploy publishes exactly these media (deploy/publishedDataSet.ts), and
 * `npm run serve` answers no other file under thumbs/ and originals/ (scripts/currentBuildMedia.ts).
 */
export async function readCatalogReferences(dataDir: string, manifest: Manifest): Promise<CatalogReferences> {
  const collection = await openCollection(manifest, fileDataSource(dataDir));
  const media = new Set<string>();
  for (const item of await collection.everyItem()) {
    media.add(item.thumb);
    media.add(item.original);
  }
  return { catalogFiles: collection.catalogFiles(), media };
}
