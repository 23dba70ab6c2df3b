import type { CatalogItem } from '../core/catalog';
import type { VectorTransform } from '../core/vectorTransform';
import type { AlbumSummary, SearchResult } from './searchApi';

export interface CollectionSearch {
  results: SearchResult[];
  /** Bytes fetched over the network for this query. */
  fetchedBytes: number;
}

/**
 * What the worker searches, whatever the layout: a resident index and catalog in memory, or a
 * sharded one read piecewise with Range requests. The API methods only talk to this.
 */
export interface Collection {
  readonly layout: 'resident' | 'sharded';
  readonly count: number;
  readonly modelId: string;
  readonly albums: AlbumSummary[];
  albumItems(album: string, start: number, count: number): Promise<CatalogItem[]>;
  item(id: string): Promise<CatalogItem | null>;
  searchById(id: string, k: number): Promise<CollectionSearch>;
  /** The embedding → int8 transform (a sharded index fetches it on first use). */
  transform(): Promise<VectorTransform>;
  searchByVector(vector: Int8Array, k: number): Promise<CollectionSearch>;
  /**
   * The items at these catalog positions, in that order (resident: index in the catalog; sharded: the
   * sharded catalog's position): how the duplicates file names its members.
   */
  itemsAtPositions(positions: readonly number[]): Promise<CatalogItem[]>;
}

export class UnknownItemError extends Error {
  constructor(id: string) {
    super(`no image with id '${id}' in this collection`);
  }
}
