import { isNewerFormatError } from '../core/formatVersion';
import { externalStore } from './common/externalStore';
import type { SkipWaiting } from '../workers/serviceWorkerMessages';

/*
 * A data file in a format newer than this app reads means the site was rebuilt by a newer Lookalike while
 * this tab runs the app it started with: a tab opened before the deploy, or a visit started from the shell
 * the service worker had kept. The page then loads the site's current app: it asks the service worker to
 * update, waits (bounded) for the new one to take over, and reloads; the route is in the URL, so the reload
 * comes back to the same page. If the reloaded app meets the same file again, the site serves an app older
 * than its collection: the page says so and does not reload again.
 */

export type SiteUpdateStatus =
  | { state: 'current' }
  | { state: 'reloading' }
  /** The site's app cannot read its collection, also after a reload: `message` names the file. */
  | { state: 'app-older-than-data'; message: string };

/** The last reload made for a newer data file, kept for this tab (sessionStorage survives the reload). */
export interface ReloadRecord {
  message: string;
  at: number;
}

const RELOAD_KEY = 'lookalike:reloaded-for-newer-data';
/** A reload for the same file longer ago than this was for another deploy, not this one. */
export const RELOAD_MEMORY_MS = 10 * 60_000;
/** Asks a new service worker that has installed and waits to activate now. */
export const SKIP_WAITING: SkipWaiting = { type: 'lookalike:skip-waiting' };
/** How long the new service worker may take to install (its shell is mostly the old one's files). */
const TAKEOVER_MS = 30_000;
/** After giving up, when to look once more for a newer app: a deploy stores the service worker last. */
const RECHECK_MS = 60_000;

/** Reload, unless this tab already reloaded for the same file a moment ago (that reload did not help). */
export function nextStep(message: string, last: ReloadRecord | null, now: number): 'reload' | 'give-up' {
  return last !== null && last.message === message && now - last.at < RELOAD_MEMORY_MS ? 'give-up' : 'reload';
}

const store = externalStore<SiteUpdateStatus>({ state: 'current' });
const setStatus = store.set;

export const getSiteUpdateStatus = store.get;
/** For useSyncExternalStore: calls `listener` whenever the status changes; returns the unsubscribe. */
export const subscribeSiteUpdate = store.subscribe;

function lastReload(): ReloadRecord | null {
  const text = sessionStorage.getItem(RELOAD_KEY);
  if (text === null) return null;
  const parsed = JSON.parse(text) as Partial<ReloadRecord>;
  return typeof parsed.message === 'string' && typeof parsed.at === 'number'
    ? { message: parsed.message, at: parsed.at }
    : null;
}

/** How often a new service worker that sits installed is asked again to take over. */
const ASK_AGAIN_MS = 2_000;

/**
 * Resolves once the incoming service worker has taken over (or failed), or after `takeoverMs`. It skips
 * waiting and claims the open pages itself (workers/serviceWorker.ts); one that sits installed, its
 * activation lost to a fetch at the wrong moment, is asked again: when it gets there, and every
 * ASK_AGAIN_MS while it stays (Chromium drops an activation that a fetch interrupts, and the worker
 * then waits without another state change to ask on).
 */
export function takeoverBy(incoming: ServiceWorker, takeoverMs = TAKEOVER_MS): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      clearInterval(askAgain);
      incoming.removeEventListener('statechange', onChange);
      resolve();
    };
    const ask = () => {
      if (incoming.state === 'installed') incoming.postMessage(SKIP_WAITING);
    };
    const onChange = () => {
      ask();
      if (incoming.state === 'activated' || incoming.state === 'redundant') done();
    };
    const timer = setTimeout(done, takeoverMs);
    const askAgain = setInterval(ask, ASK_AGAIN_MS);
    incoming.addEventListener('statechange', onChange);
    onChange();
  });
}

/** Resolves once a newer service worker (if the host has one) controls the site, or after TAKEOVER_MS. */
async function newestServiceWorker(): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration().catch(() => undefined);
  if (!registration) return;
  try {
    await registration.update();
  } catch {
    return; // Offline or gone: the reload gets what the host or the current worker serves.
  }
  const incoming = registration.installing ?? registration.waiting;
  if (incoming) await takeoverBy(incoming);
}

/**
 * The reload may have come in the seconds of a deploy between the data's manifest and the new service
 * worker (docs/deploy.md stores the worker last): when a newer worker takes over later, found by the
 * browser's own update checks or by one more look after RECHECK_MS, the page reloads into its app.
 */
function reloadWhenANewerAppTakesOver(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
  setTimeout(() => {
    navigator.serviceWorker
      .getRegistration()
      .then(async (registration) => {
        await registration?.update();
        registration?.waiting?.postMessage(SKIP_WAITING);
      })
      .catch(() => {});
  }, RECHECK_MS);
}

async function reloadWithNewestApp(message: string): Promise<void> {
  let step: 'reload' | 'give-up';
  try {
    step = nextStep(message, lastReload(), Date.now());
    if (step === 'reload') sessionStorage.setItem(RELOAD_KEY, JSON.stringify({ message, at: Date.now() }));
  } catch {
    step = 'give-up'; // Without storage a reload could not tell it had already happened, and might loop.
  }
  if (step === 'give-up') {
    setStatus({ state: 'app-older-than-data', message });
    return reloadWhenANewerAppTakesOver();
  }
  setStatus({ state: 'reloading' });
  await newestServiceWorker();
  location.reload();
}

/** Acts on `err` (anything the search worker threw) when it says a data file is newer than this app. */
export function noticeNewerData(err: unknown): void {
  if (!isNewerFormatError(err) || store.get().state !== 'current') return;
  void reloadWithNewestApp(err.message);
}
