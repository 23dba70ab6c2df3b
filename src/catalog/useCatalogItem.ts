import { useEffect, useState } from 'react';
import type { CatalogItem } from '../../core/catalog';
import { errorMessage } from '../../core/errorMessage';
import type { LoadInfo } from '../../workers/searchApi';
import { searchClient } from '../searchClient';

export type ItemLookup =
  | { status: 'loading' }
  /** `stale`: the previous id's item, shown while this id's is on its way (the page does not blank out). */
  | { status: 'found'; item: CatalogItem; stale: boolean }
  | { status: 'missing' }
  | { status: 'failed'; message: string };

interface Settled {
  id: string;
  collection: LoadInfo;
  lookup: ItemLookup;
}

const LOADING: ItemLookup = { status: 'loading' };

/**
 * The catalog item with this id, asked of the worker (a sharded collection fetches the shard that holds
 * it). `collection` is the loaded collection: a reload looks the id up again. Null id: nothing to look up.
 */
export function useCatalogItem(id: string | null, collection: LoadInfo | null): ItemLookup {
  const [settled, setSettled] = useState<Settled | null>(null);

  useEffect(() => {
    if (id === null || collection === null) return;
    let cancelled = false;
    const settle = (lookup: ItemLookup) => {
      if (!cancelled) setSettled({ id, collection, lookup });
    };
    searchClient.item(id).then(
      (item) => settle(item ? { status: 'found', item, stale: false } : { status: 'missing' }),
      (error: unknown) => settle({ status: 'failed', message: errorMessage(error) }),
    );
    return () => {
      cancelled = true;
    };
  }, [id, collection]);

  // Off the search pages there is nothing to keep: the next image page must not show this one's image.
  if (id === null && settled !== null) setSettled(null);
  if (settled === null || id === null) return LOADING;
  if (settled.id === id && settled.collection === collection) return settled.lookup;
  return settled.lookup.status === 'found' ? { ...settled.lookup, stale: true } : LOADING;
}
