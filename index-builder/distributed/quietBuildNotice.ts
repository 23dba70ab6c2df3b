/** What the coordinator sees of its queue on one check. */
export interface QueueSnapshot {
  /** Jobs no worker has taken (waiting or prioritized; not those waiting out a retry's backoff). */
  waiting: number;
  active: number;
  completed: number;
  /** Images the workers have reported done, over all jobs. */
  imagesDone: number;
}

/** How long nothing may move before the coordinator says so, and the longest gap between reminders. */
export const DEFAULT_QUIET_MS = 60_000;
const LONGEST_REMINDER_MS = 10 * 60_000;

/**
 * Says why a distributed build is not moving. Without it, a coordinator with no worker (never
 * started, pointed at another Redis) or whose workers all stopped mid-job showed a progress bar at
 * the same count for ever: BullMQ gives a stopped worker's job back only from a live worker's
 * stalled check. It speaks once nothing has moved for `quietMs`, then again after twice as long each
 * time (up to ten minutes), and starts over when work moves.
 */
export class QuietBuildNotice {
  private movedAt: number;
  private nextAt: number;
  private gap: number;
  private last: { completed: number; imagesDone: number; active: number } | undefined;

  constructor(
    private readonly quietMs: number,
    /** How to start a worker, as the coordinator printed it when it queued the jobs. */
    private readonly startWorker: string,
    now: number,
  ) {
    this.movedAt = now;
    this.gap = quietMs;
    this.nextAt = now + quietMs;
  }

  /** True when a call to `notice` now would speak: the caller then looks for orphaned jobs. */
  due(now: number, s: QueueSnapshot): boolean {
    const moved =
      this.last === undefined ||
      s.completed !== this.last.completed ||
      s.imagesDone !== this.last.imagesDone ||
      s.active > this.last.active;
    this.last = { completed: s.completed, imagesDone: s.imagesDone, active: s.active };
    if (moved) {
      this.movedAt = now;
      this.gap = this.quietMs;
      this.nextAt = now + this.quietMs;
      return false;
    }
    return now >= this.nextAt && s.waiting + s.active > 0;
  }

  /**
   * The line to print once `due`; `orphaned` counts active jobs whose worker stopped renewing them.
   */
  notice(now: number, s: QueueSnapshot, orphaned: number): string {
    this.gap = Math.min(this.gap * 2, LONGEST_REMINDER_MS);
    this.nextAt = now + this.gap;
    const quietS = Math.round((now - this.movedAt) / 1000);
    if (orphaned > 0 && orphaned === s.active) {
      return (
        `nothing has moved for ${quietS} s: ${jobs(orphaned)} held by workers that stopped; they go back ` +
        `to the queue when a worker runs (${s.waiting} more waiting). Start one: ${this.startWorker}`
      );
    }
    if (s.active === 0) {
      return (
        `no worker has taken a job for ${quietS} s (${jobs(s.waiting)} waiting): is one running, on this ` +
        `Redis? Start one: ${this.startWorker}`
      );
    }
    return (
      `nothing has moved for ${quietS} s: ${jobs(s.active)} running` +
      (orphaned > 0 ? ` (${orphaned} of them held by workers that stopped)` : '') +
      `, ${s.waiting} waiting; workers report progress every few images, so one may be stuck`
    );
  }
}

function jobs(n: number): string {
  return `${n} job${n === 1 ? '' : 's'}`;
}
