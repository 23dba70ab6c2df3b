import { createContext, Script } from 'node:vm';

/*
 * A user's regular expression run over every key of a collection, with a bound on how long one key
 * may take. V8 matches by backtracking: a pattern with nested repeats (`((a|a)+)+b`) tries
 * exponentially many ways on a key that almost matches (on 34 letters it had not finished after
 * minutes), in a synchronous call nothing else can interrupt. A vm script's `timeout` can: its watchdog
 * terminates the running JavaScript, a regular expression's backtracking included, and the script
 * throws ERR_SCRIPT_EXECUTION_TIMEOUT.
 *
 * Every key is matched in one script run, not one run per key: each timed run starts a watchdog
 * thread, which would cost more than the matches themselves on 30,000 keys.
 */

/** How long one key may take to match, in milliseconds: normal patterns take microseconds. */
export const MATCH_BOUND_MS = 1000;

/** A key on which matching the pattern took longer than the bound. */
export class SlowMatchError extends Error {
  constructor(
    readonly key: string,
    readonly boundMs: number,
  ) {
    super(`matching ${JSON.stringify(key)} took over ${boundMs / 1000} s`);
  }
}

const RUN = new Script('matchFromNext()');

function timedOut(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

/**
 * `take` of `re.exec` of each key, in order; throws a SlowMatchError naming the first key that alone
 * takes longer than `boundMs`. What `take` keeps of each match is taken at once: keeping the match
 * arrays of 100,000 keys until all are matched doubled the cost (they outlive the young generation).
 */
export function matchEach<T>(
  re: RegExp,
  keys: readonly string[],
  take: (match: RegExpExecArray | null) => T,
  boundMs = MATCH_BOUND_MS,
): T[] {
  const out: T[] = [];
  let end = keys.length;
  // A key's result is stored as it is found: after a timeout, the key being matched is the next one.
  const context = createContext({
    matchFromNext() {
      while (out.length < end) out.push(take(re.exec(keys[out.length])));
    },
  });
  const run = () => RUN.runInContext(context, { timeout: boundMs });
  while (out.length < keys.length) {
    try {
      run();
    } catch (err) {
      if (!timedOut(err)) throw err;
      // The bound covered every key the run matched before this one: time it on its own.
      const stuck = out.length;
      end = stuck + 1;
      try {
        run();
      } catch (again) {
        if (timedOut(again)) throw new SlowMatchError(keys[stuck], boundMs);
        throw again;
      }
      end = keys.length;
    }
  }
  return out;
}
