import { constants } from 'node:os';
import { watchLauncher } from './launcherWatch';

/*
 * A build stopped from outside: Ctrl-C, a supervisor's SIGTERM, or the npm run that started it going
 * away (launcherWatch.ts). The build's AbortSignal is aborted and the build cleans up as after any
 * failure — a single-machine build ends its inference workers once their current batch is done (exiting
 * while one is mid-inference aborts the whole process in onnxruntime-node: 'terminate called after
 * throwing an instance of Napi::Error', exit 134), a distributed one removes its queue and work prefix;
 * both release the data dir's lock and remove its staging — and throws a BuildStopped.
 */

/** Why a build stopped before it was done, and the exit code that says so (128 + the signal's number). */
export class BuildStopped extends Error {
  constructor(
    how: string,
    readonly exitCode: number,
  ) {
    super(`stopped ${how}; the published index was not changed`);
  }
}

/** The BuildStopped that `err` is or was caused by, if any. */
export function buildStopped(err: unknown): BuildStopped | undefined {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof BuildStopped) return e;
  return undefined;
}

/** A signal this soon after the first is taken for the same one, passed on twice. */
const SAME_SIGNAL_MS = 2000;

export interface BuildInterrupt {
  /** Aborted, with a BuildStopped as its reason, when the build is to stop. */
  signal: AbortSignal;
  /** Stops listening (the build is over). */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM, and watches the npm run that started this process: `tool` names the
 * CLI in what it says on stderr. A second signal (from two seconds after the first) leaves at once,
 * without cleaning up.
 */
export function interruptBuild(tool: string): BuildInterrupt {
  const controller = new AbortController();
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const exitCode = 128 + constants.signals[signal];
    if (firstSignalAt !== undefined) {
      // The same Ctrl-C again, not a second one: the tsx CLI (`tsx index-builder/buildIndexCli.ts`)
      // passes the terminal's SIGINT on to its child when the child has not said within 30 ms that it
      // heard it (it is busy with a batch), and leaving at once then ended inference mid-batch.
      if (performance.now() - firstSignalAt < SAME_SIGNAL_MS) return;
      process.exit(exitCode);
    }
    firstSignalAt = performance.now();
    if (controller.signal.aborted) return;
    console.error(`${tool}: ${signal}: stopping the build and cleaning up (send it again to leave at once)`);
    controller.abort(new BuildStopped(`by ${signal}`, exitCode));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unwatch = watchLauncher((launcher) => {
    if (controller.signal.aborted) return;
    console.error(
      `${tool}: the npm run that started it (pid ${launcher}) went away: stopping the build and cleaning up`,
    );
    // As for a hangup: the process that was to hear how the build ended is gone.
    const how = 'as the npm run that started it went away';
    controller.abort(new BuildStopped(how, 128 + constants.signals.SIGHUP));
  });
  return {
    signal: controller.signal,
    dispose() {
      unwatch();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
