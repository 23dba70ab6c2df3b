/** A module-level value that React reads with useSyncExternalStore (offline status, site updates). */
export interface ExternalStore<T> {
  get(): T;
  /** Replaces the value and calls every listener. */
  set(next: T): void;
  /** Calls `listener` whenever the value changes; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

export function externalStore<T>(initial: T): ExternalStore<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      value = next;
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
