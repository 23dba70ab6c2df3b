import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILD_LOCK_FILE } from './dataDirNames';

/*
 * Who holds a data dir's build lock. The lock file holds the builder's pid; a build that was killed
 * (Ctrl-C on a local build, a crash) leaves it behind. The next build clears such a lock
 * (dataDirWriter.ts), and deploy publishes the last finished build next to it, where both used to
 * wait for a build that no longer runs.
 */

/** Whether a process with this pid runs (EPERM: it does, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's pid (NaN when unreadable), or undefined when there is no lock. */
export async function buildLockPid(dir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, BUILD_LOCK_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return Number.NaN;
  }
  return Number.parseInt(text, 10);
}
