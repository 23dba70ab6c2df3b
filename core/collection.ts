import type { CatalogItem } from './catalog';
import type { VectorTransform } from './vectorTransform';

/** An album as the album list shows it, without its items. */
export interface CollectionAlbum {
  name: string;
  count: number;
  cover: { id: string; thumb: string };
}

/** The most results a query of the site asks for (the page's k choices are 1..MAX_K). */
export const MAX_K = 10;

interface CollectionHit {
  id: string;
  score: number;
  item: CatalogItem;
}

export interface CollectionSearch {
  results: CollectionHit[];
  /** Bytes fetched over the network for this query. */
  fetchedBytes: number;
}

/**
 * A build's images, whatever the layout: a resident index in memory, or a sharded one read piecewise;
 * the catalog is read piecewise in both (core/catalogReader.ts). The worker's API and `npm run query` only talk to this (core/openCollection.ts opens one),
 * so the browser and Node answer a query with the same code.
 */
export interface Collection {
  readonly layout: 'resident' | 'sharded';
  readonly count: number;
  readonly modelId: string;
  readonly albums: CollectionAlbum[];
  albumItems(album: string, start: number, count: number): Promise<CatalogItem[]>;
  item(id: string): Promise<CatalogItem | null>;
  /** Throws UnknownItemError for an id that is not in the collection. */
  searchById(id: string, k: number): Promise<CollectionSearch>;
  /** The embedding → int8 transform (a sharded index fetches it on first use). */
  transform(): Promise<VectorTransform>;
  searchByVector(vector: Int8Array, k: number): Promise<CollectionSearch>;
  /**
   * The items at these catalog positions, in that order (the sharded catalog's positions, album order;
   * a manifest v1 resident build's: index rows): how the duplicates file names its members.
   */
  itemsAtPositions(positions: readonly number[]): Promise<CatalogItem[]>;
  /**
   * Every item, in catalog order (deploy and tools that must see the whole catalog; a sharded build
   * reads and verifies every item shard for it).
   */
  everyItem(): Promise<CatalogItem[]>;
  /** The data-dir-relative files the catalog consists of: its index and shards (manifest v1: one file). */
  catalogFiles(): string[];
  /**
   * Reads ahead what later album pages and album-image queries read, so that they are quick and work
   * offline: a resident build's catalog and neighbour-list shards (a sharded build's cells are too many:
   * they come per query). Each read waits for `whenIdle` first.
   */
  prefetch(whenIdle?: WhenIdle): Promise<void>;
  /** A (small) part file of a sharded build (duplicates shards); a resident build has none. */
  dataFile(path: string, fresh?: boolean): Promise<Uint8Array>;
}

/**
 * Resolves when background reads may go on. The worker holds them while the page waits on a call: on
 * two cores a preload read (fetch, checksum, parse, IndexedDB write) takes CPU from the query's model.
 */
export type WhenIdle = () => Promise<void>;

/** Background reads that wait for nothing. */
export const ALWAYS_IDLE: WhenIdle = () => Promise.resolve();

export class UnknownItemError extends Error {
  constructor(id: string) {
    super(`no image with id '${id}' in this collection`);
  }
}
