import type { LoadProgress } from './searchApi';

/** Where a load reports its progress (throttled on its way to the page). */
export type ReportProgress = (p: LoadProgress) => void;

/** Progress crosses a thread boundary on every call, so intermediate updates are limited to one per interval. */
export function throttledProgress(
  onProgress: ((p: LoadProgress) => void) | undefined,
  intervalMs = 100,
): ReportProgress {
  if (!onProgress) return () => {};
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (!p.done && p.loadedBytes > 0 && now - last < intervalMs) return;
    last = now;
    // A callback proxied by comlink returns a promise; a closed page must not break the load.
    try {
      void Promise.resolve(onProgress(p)).catch(() => {});
    } catch {
      // The caller's callback threw synchronously; progress is advisory, the load goes on.
    }
  };
}
