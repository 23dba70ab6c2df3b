import type { InstallFailure } from '../workers/serviceWorkerMessages';
import { errorMessage } from '../core/errorMessage';
import { formatBytes } from '../core/formatBytes';
import { externalStore } from './common/externalStore';
import { helpTakeOver } from './siteUpdate';

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

const store = externalStore<OfflineStatus>({ state: 'installing' });
const setStatus = store.set;

export const getOfflineStatus = store.get;
/** For useSyncExternalStore: calls `listener` whenever the status changes; returns the unsubscribe. */
export const subscribeOfflineStatus = store.subscribe;

let settled: Promise<void> | null = null;

/**
 * Resolves once the service worker is set up, has failed, or cannot exist (at the latest `maxMs` after
 * the first call; later calls never wait again, so a registration that hangs costs one wait, not one per
 * search). The model runtime waits for this on a first visit: the service worker is downloading the same
 * 14 MB WASM file to precache it, and starting a second download in parallel would fetch it twice.
 */
export function whenOfflineSettled(maxMs = 60_000): Promise<void> {
  if (store.get().state !== 'installing') return Promise.resolve();
  settled ??= new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, maxMs);
    const unsubscribe = subscribeOfflineStatus(() => {
      if (store.get().state !== 'installing') done();
    });
  });
  return settled;
}

const INSTALL_FAILED: InstallFailure['type'] = 'lookalike:install-failed';

function isInstallFailure(data: unknown): data is InstallFailure {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as Partial<InstallFailure>).type === INSTALL_FAILED &&
    typeof (data as Partial<InstallFailure>).name === 'string'
  );
}

/** serviceWorker.js is a few KB: a registration still pending after this will not come. */
const REGISTER_MS = 10_000;

/** Below this much free space the shell (with the 14 MB runtime) cannot be precached anyway. */
const SHELL_BYTES = 30e6;

async function freeStorage(): Promise<number | null> {
  try {
    const { quota, usage } = await navigator.storage.estimate();
    return quota === undefined || usage === undefined ? null : Math.max(0, quota - usage);
  } catch {
    return null;
  }
}

/** Why the install failed, in words: storage is the usual cause, and the one a user can act on. */
async function failureMessage(reported: InstallFailure | null): Promise<string> {
  const free = await freeStorage();
  const short = reported ? reported.name === 'QuotaExceededError' : free !== null && free < SHELL_BYTES;
  if (short) {
    const room = free === null ? '' : `: ${formatBytes(free)} free for this site`;
    return `browser storage is short${room}`;
  }
  return reported?.message ?? 'the service worker could not be installed';
}

/** The worker's own report of its failed install, which says more than the redundant state alone. */
let reportedFailure: InstallFailure | null = null;

function fail(reported: InstallFailure | null): void {
  if (reported) reportedFailure = reported;
  const from = reportedFailure;
  void failureMessage(from).then((message) => {
    // The report and the state change race; a message built without the report never replaces one built with it.
    if (
      store.get().state === 'ready' ||
      (from === null && reportedFailure !== null && store.get().state === 'failed')
    )
      return;
    setStatus({ state: 'failed', message });
  });
}

/**
 * `navigator.serviceWorker.ready` resolves only once a worker is active, so an install that fails (a full
 * quota, a precache download that fails) would leave the app "installing" for ever: follow the installing
 * worker, and give up when it turns redundant with no other worker left to become active.
 */
function followInstall(registration: ServiceWorkerRegistration | undefined): void {
  // Blocked (by policy, or by a test harness that stubs register()): no registration, or no worker at all.
  if (!registration || (!registration.installing && !registration.waiting && !registration.active)) {
    setStatus({ state: 'failed', message: 'the browser did not start the service worker' });
    return;
  }
  void navigator.serviceWorker.ready.then(() => setStatus({ state: 'ready' }));
  const follow = () => {
    const worker = registration.installing ?? registration.waiting;
    if (!worker) return;
    // A new version of the site: it takes over at once, unless Chromium keeps it waiting on an old worker
    // woken at the wrong moment, when a reload of this tab can be lost (src/siteUpdate.ts). Help it along.
    if (registration.active) void helpTakeOver(worker);
    worker.addEventListener('statechange', () => {
      if (worker.state !== 'redundant') return;
      if (registration.installing || registration.waiting || registration.active) follow();
      else fail(null);
    });
  };
  follow();
  registration.addEventListener('updatefound', follow);
}

/** Call once at startup. Never throws: every outcome becomes an OfflineStatus. */
export function registerOfflineSupport(): void {
  if (import.meta.env.DEV) return setStatus({ state: 'unavailable', reason: 'development' });
  if (!window.isSecureContext) return setStatus({ state: 'unavailable', reason: 'insecure-context' });
  if (!('serviceWorker' in navigator))
    return setStatus({ state: 'unavailable', reason: 'no-service-worker' });
  // The worker says why its install failed (e.g. QuotaExceededError) before it turns redundant.
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (isInstallFailure(event.data)) fail(event.data);
  });
  navigator.serviceWorker.startMessages();
  // Relative to the page, so the site works under any path prefix.
  const swUrl = new URL('serviceWorker.js', document.baseURI);
  // A registration can hang (a blocked or stalled worker script): give up waiting for it, not on it.
  const stalled = setTimeout(() => {
    if (store.get().state === 'installing')
      setStatus({
        state: 'failed',
        message: `the service worker did not start within ${REGISTER_MS / 1000} s`,
      });
  }, REGISTER_MS);
  navigator.serviceWorker.register(swUrl, { scope: './' }).then(
    (registration) => {
      clearTimeout(stalled);
      followInstall(registration);
    },
    (err: unknown) => {
      clearTimeout(stalled);
      setStatus({ state: 'failed', message: errorMessage(err) });
    },
  );
}
