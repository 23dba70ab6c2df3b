import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * How long waitForLine waits when not told: a builder CLI silent this long is taken to have hung. The
 * bench waits with it too, so it is a figure of its own; testing/timeLimits.test.ts checks it is at
 * least the tests' WAIT_MS.
 */
export const DEFAULT_LINE_WAIT_MS = 5 * 60_000;

/** A running CLI of the builder (tests, the distributed bench) whose output can be waited on line by line. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves with the first output line matching `pattern`, seen already or still to come. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `script` (relative to the repo root) with tsx, as `npm run` would, without a shell. */
export function startCli(script: string, args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const append = (d: Buffer) => {
    text += d.toString();
    for (const w of waiters) w();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
    child.on('close', (code, signal) => resolvePromise({ code, signal })),
  );
  exited.then(() => {
    for (const w of waiters) w();
  });
  const findLine = (pattern: RegExp) => {
    for (const line of text.split('\n')) {
      const m = line.match(pattern);
      if (m !== null) return m;
    }
    return undefined;
  };
  return {
    child,
    output: () => text,
    exited,
    waitForLine(pattern, timeoutMs = DEFAULT_LINE_WAIT_MS) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const m = findLine(pattern);
          if (m !== undefined) {
            done();
            resolvePromise(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${script} exited before printing ${pattern}:\n${text}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${script} printed no ${pattern} within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
