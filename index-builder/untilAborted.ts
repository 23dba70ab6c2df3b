/**
 * `p`, or a rejection with the signal's reason as soon as it is aborted: a wait on a slow read or a
 * running model batch must not hold up a build that is to stop. `p` is then left to settle unobserved,
 * its rejection counted as handled.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  p.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
