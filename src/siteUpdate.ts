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
/**
 * How long the new service worker may take to install and take over. Past Chromium's idle timeout (30 s):
 * an old worker that an event wakes after the new one skipped waiting keeps the new one waiting until it
 * has been idle that long (or a navigation asks it to stop), and a reload made meanwhile is lost when the
 * old worker stops under it (seen twice in CI as a reload that never finished).
 */
const TAKEOVER_MS = 60_000;
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

/** How long a new service worker may sit installed before a hidden frame asks the old one to stop. */
const NUDGE_AFTER_MS = 1_000;
/**
 * How often that is done again while it still sits installed. Any fetch from the page can wake the old
 * worker again, for its whole idle timeout, and a person's reload in that time can be lost (Chromium
 * 150, e2e/siteUpdates.spec.ts): every 5 s lost 3 reloads in 19 under CPU load, every second none in 25.
 * Each nudge costs one small request.
 */
const NUDGE_EVERY_MS = 1_000;

/**
 * Chromium activates a worker that skipped waiting once the old one is idle, and asks an idle old worker
 * to stop at once only when the new worker first skips waiting or a navigation in scope starts. A worker
 * woken in between (a fetch from this page) then stays for its idle timeout, and the page's own reload is
 * the navigation that would ask it to stop: Chromium can lose that reload (the old worker stops under it,
 * and the page never loads). A hidden frame's navigation to the worker's own script asks instead. The
 * frame goes once it has loaded, or at the latest with the next nudge: Chromium can lose its navigation
 * too, and removing the frame cancels a lost one rather than leaving it in flight (CI saw nothing more
 * happen after one for 2 min). Returns the clean-up.
 */
export function nudgeByFrame(incoming: ServiceWorker): () => void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.tabIndex = -1;
  frame.setAttribute('aria-hidden', 'true');
  frame.addEventListener('load', () => frame.remove(), { once: true });
  frame.src = incoming.scriptURL;
  document.body.append(frame);
  return () => frame.remove();
}

/**
 * Resolves once the incoming service worker has taken over (or failed), or after `takeoverMs`. It skips
 * waiting and claims the open pages itself (workers/serviceWorker.ts), and is asked to as well once
 * installed; while it sits installed, the old worker kept awake, `nudge` helps (see nudgeByFrame), after
 * NUDGE_AFTER_MS and then every NUDGE_EVERY_MS.
 */
export function takeoverBy(
  incoming: ServiceWorker,
  takeoverMs = TAKEOVER_MS,
  nudge: (incoming: ServiceWorker) => () => void = nudgeByFrame,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let cleanUp = () => {};
    const nudgeIfWaiting = () => {
      nextNudge = setTimeout(nudgeIfWaiting, NUDGE_EVERY_MS);
      if (incoming.state !== 'installed') return;
      cleanUp();
      cleanUp = nudge(incoming);
    };
    const done = () => {
      clearTimeout(timer);
      clearTimeout(nextNudge);
      incoming.removeEventListener('statechange', onChange);
      cleanUp();
      resolve();
    };
    const onChange = () => {
      if (incoming.state === 'installed') incoming.postMessage(SKIP_WAITING);
      if (incoming.state === 'activated' || incoming.state === 'redundant') done();
    };
    const timer = setTimeout(done, takeoverMs);
    let nextNudge = setTimeout(nudgeIfWaiting, NUDGE_AFTER_MS);
    incoming.addEventListener('statechange', onChange);
    onChange();
  });
}

const takeovers = new WeakMap<ServiceWorker, Promise<void>>();

/** takeoverBy, once per worker: the tab's update follow-up and a reload for newer data share it. */
export function helpTakeOver(incoming: ServiceWorker): Promise<void> {
  let takeover = takeovers.get(incoming);
  if (takeover === undefined) {
    takeover = takeoverBy(incoming);
    takeovers.set(incoming, takeover);
  }
  return takeover;
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
  if (incoming) await helpTakeOver(incoming);
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
