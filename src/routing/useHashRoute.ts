import { useMemo, useSyncExternalStore } from 'react';
import { restoreChosenK } from './chosenK';
import { parseHash, type Route } from './route';

function subscribe(onChange: () => void): () => void {
  // The entry is brought up to the last chosen k before the route is read, so no page draws a stale k.
  // popstate too: Back between two entries with the same hash fires no hashchange.
  const onEntry = () => {
    restoreChosenK();
    onChange();
  };
  window.addEventListener('hashchange', onEntry);
  window.addEventListener('popstate', onEntry);
  return () => {
    window.removeEventListener('hashchange', onEntry);
    window.removeEventListener('popstate', onEntry);
  };
}

// The snapshot is the raw hash (a string), so React compares it cheaply and re-renders only on change.
const readHash = (): string => window.location.hash;

export function useHashRoute(): Route {
  const hash = useSyncExternalStore(subscribe, readHash);
  // One Route object per hash, so effects that depend on it run only when the URL changes.
  return useMemo(() => parseHash(hash), [hash]);
}

export function navigate(hash: string): void {
  if (window.location.hash !== hash) window.location.hash = hash;
}

/** Changes the URL without a new history entry (e.g. k changes, which the back button should skip). */
export function replaceHash(hash: string): void {
  if (window.location.hash === hash) return;
  history.replaceState(history.state, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
