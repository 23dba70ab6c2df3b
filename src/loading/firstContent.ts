/**
 * "The page has shown its first content": result tiles or album thumbnails loaded, the album list drawn,
 * or the user starting an own-image search. Background work that competes for the network — the service
 * worker's precache of the shell and the ~14 MB model runtime, the model preload — waits for it, so it
 * never delays what the visitor came for.
 */
export interface FirstContentSignal {
  /** Marks the first content as shown; later calls do nothing. */
  raise: () => void;
  /** Resolves once raised, or after fallbackMs (so a page that never shows content does not wait forever). */
  shown: (fallbackMs: number) => Promise<void>;
}

export function createFirstContentSignal(): FirstContentSignal {
  let raised = false;
  const waiting = new Set<() => void>();
  return {
    raise() {
      if (raised) return;
      raised = true;
      for (const resolve of waiting) resolve();
      waiting.clear();
    },
    shown(fallbackMs) {
      if (raised) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(done);
          resolve();
        };
        const timer = setTimeout(done, fallbackMs);
        waiting.add(done);
      });
    },
  };
}

/** The app's one signal, raised by the pages. */
export const firstContent = createFirstContentSignal();

/** How long background loading waits for a page that shows no content (an empty album, an error). */
export const FIRST_CONTENT_FALLBACK_MS = 3000;
