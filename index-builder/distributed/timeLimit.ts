/** Thrown by withinTime when a step takes longer than allowed. */
class TimeLimitError extends Error {}

/**
 * The step's outcome, or a TimeLimitError after `ms`: for calls to a server that may have gone away,
 * whose clients wait for a reconnect instead of failing. The step itself is not cancelled.
 */
export function withinTime<T>(step: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeLimitError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([step, limit]).finally(() => clearTimeout(timer));
}

/**
 * Logs a connection's errors one line each (no stack), and the same message at most once per
 * `quietMs`: a client retrying a lost server fails the same way every second or two.
 */
export function logErrorsOnce(
  emitter: { on(event: 'error', listener: (err: Error) => void): unknown },
  what: string,
  log: (line: string) => void,
  quietMs = 10_000,
): void {
  const lastSaid = new Map<string, number>();
  emitter.on('error', (err: Error) => {
    const message = err.message.split('\n')[0] || (err as NodeJS.ErrnoException).code || err.name;
    const now = performance.now();
    if (now - (lastSaid.get(message) ?? -Infinity) < quietMs) return;
    lastSaid.set(message, now);
    log(`${what}: ${message}`);
  });
}
