/*
 * Registers the service worker that makes the site work offline and cross-origin isolated, and tells the
 * UI how that went. Service workers exist only in secure contexts (HTTPS, localhost): on a plain-HTTP
 * address the app still works online, and the UI can say that offline use needs the HTTPS URL.
 */

export type OfflineStatus =
  | { state: 'unavailable'; reason: 'insecure-context' | 'no-service-worker' | 'development' }
  | { state: 'installing' }
  /** The app shell and runtime are cached: the site starts without a network. */
  | { state: 'ready' }
  | { state: 'failed'; message: string };

let status: OfflineStatus = { state: 'installing' };
const listeners = new Set<() => void>();

function setStatus(next: OfflineStatus): void {
  status = next;
  for (const listener of listeners) listener();
}

export function getOfflineStatus(): OfflineStatus {
  return status;
}

/** For useSyncExternalStore: calls `listener` whenever the status changes; returns the unsubscribe. */
export function subscribeOfflineStatus(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Resolves once the service worker is set up, has failed, or cannot exist (at the latest after `maxMs`).
 * The model runtime waits for this on a first visit: the service worker is downloading the same 14 MB
 * WASM file to precache it, and starting a second download in parallel would fetch it twice.
 */
export function whenOfflineSettled(maxMs = 60_000): Promise<void> {
  if (status.state !== 'installing') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, maxMs);
    const unsubscribe = subscribeOfflineStatus(() => {
      if (status.state !== 'installing') done();
    });
  });
}

/** Call once at startup. Never throws: every outcome becomes an OfflineStatus. */
export function registerOfflineSupport(): void {
  if (import.meta.env.DEV) return setStatus({ state: 'unavailable', reason: 'development' });
  if (!window.isSecureContext) return setStatus({ state: 'unavailable', reason: 'insecure-context' });
  if (!('serviceWorker' in navigator))
    return setStatus({ state: 'unavailable', reason: 'no-service-worker' });
  // Relative to the page, so the site works under any path prefix.
  const swUrl = new URL('serviceWorker.js', document.baseURI);
  navigator.serviceWorker
    .register(swUrl, { scope: './' })
    .then(() => navigator.serviceWorker.ready)
    .then(
      () => setStatus({ state: 'ready' }),
      (err: unknown) =>
        setStatus({ state: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
}
