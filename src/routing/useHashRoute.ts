import { useMemo, useSyncExternalStore } from 'react';
import { parseHash, type Route } from './route';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
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
