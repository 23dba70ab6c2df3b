/**
 * A failure to load part of the collection, said first in words when the browser is offline: what was
 * not opened while online is not on this device (only what a visit has shown is kept for offline use).
 */
export function unlessOffline(message: string, what: string): string {
  if (navigator.onLine) return message;
  return `You are offline, and ${what} not stored on this device yet: it loads when you are back online. (${message})`;
}
