import { readFileSync } from 'node:fs';

/*
 * `npm run build-index` starts `sh -c "node --import tsx …"`, and sh the build. A SIGTERM to npm (a
 * supervisor stopping the job) is passed on to sh alone: sh dies of it, npm exits 143 at once, and
 * the build ran on as an orphan, published later and held the data dir's lock meanwhile. Nothing
 * signals the build, so it watches instead: each process between it and npm (sh; tsx's own process
 * when started by the tsx CLI) keeps the parent it had, until one of them is gone and its children
 * are handed to another (init or a subreaper).
 *
 * Only under an npm script (npm puts npm_lifecycle_event in its environment), and only on Linux (/proc):
 * a build started by hand under nohup must outlive the shell it was started from.
 */

interface Link {
  pid: number;
  parent: number;
}

/** The parent of `pid` now; undefined once it is gone, or without /proc. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) state ppid …", and comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` was started for an npm script: it has the environment npm gives one. */
function startedForNpmScript(pid: number): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').some((v) => v.startsWith('npm_lifecycle_event='));
  } catch {
    return false;
  }
}

/**
 * This process and its ancestors up to the npm that ran the script, each with its parent: empty when
 * it was not started by an npm script, or when /proc cannot tell.
 */
export function launcherChain(): Link[] {
  if (process.env.npm_lifecycle_event === undefined) return [];
  const links: Link[] = [];
  let pid = process.pid;
  // Bounded: a script can start npm scripts of its own, but not 16 deep.
  for (let depth = 0; depth < 16; depth++) {
    const parent = parentOf(pid);
    if (parent === undefined || parent <= 1) break;
    links.push({ pid, parent });
    if (!startedForNpmScript(parent)) break;
    pid = parent;
  }
  return links;
}

/**
 * Calls `gone` once, within `intervalMs`, when a process between this one and the npm that ran its
 * script has gone away (npm itself included), with the pid of that npm. Returns the function that
 * stops watching; the watch alone does not keep the process alive.
 */
export function watchLauncher(gone: (launcher: number) => void, intervalMs = 1000): () => void {
  const links = launcherChain();
  if (links.length === 0) return () => {};
  const launcher = links[links.length - 1].parent;
  const timer = setInterval(() => {
    if (links.every(({ pid, parent }) => parentOf(pid) === parent)) return;
    clearInterval(timer);
    gone(launcher);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
