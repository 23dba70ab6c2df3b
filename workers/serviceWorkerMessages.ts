/** What the site's pages post to a new service worker that has installed and waits (src/siteUpdate.ts). */
export interface SkipWaiting {
  type: 'lookalike:skip-waiting';
}

/** What the service worker posts to the site's pages (src/offlineSupport.ts listens). */
export interface InstallFailure {
  type: 'lookalike:install-failed';
  /** The error's name: QuotaExceededError when storage is short. */
  name: string;
  message: string;
}
