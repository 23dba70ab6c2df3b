/** What the coordinator sees of its queue on one check. */
export interface QueueSnapshot {
  /** Jobs no worker has taken (waiting or prioritized; not those waiting out a retry's backoff). */
  waiting: number;
  active: number;
  completed: number;
  /** Images the workers have reported done, over all jobs. */
  imagesDone: number;
  /** Attempts at the build's jobs that failed so far (each retried one counts), over all jobs. */
  failedAttempts: number;
}

/** The latest failed attempt at a job, as the queue keeps it. */
export interface FailedAttempt {
  job: string;
  /** Attempts made at the job so far, and how many it is allowed. */
  attempt: number;
  attempts: number;
  reason: string;
}

/** How long nothing may move before the coordinator says so, and the longest gap between reminders. */
export const DEFAULT_QUIET_MS = 60_000;
const LONGEST_REMINDER_MS = 10 * 60_000;

/**
 * Says why a distributed build is not moving. Without it, a coordinator with no worker (never
 * started, pointed at another Redis) or whose workers all stopped mid-job showed a progress bar at
 * the same count for ever: BullMQ gives a stopped worker's job back only from a live worker's
 * stalled check. It speaks once nothing has moved for `quietMs`, then again after twice as long each
 * time (up to ten minutes), and starts over when work moves. Workers that fail every job they take
 * (a model in the work prefix replaced since, a source they cannot read) are there, yet move nothing:
 * it says they fail jobs, and why, rather than asking whether one runs.
 */
export class QuietBuildNotice {
  private movedAt: number;
  private nextAt: number;
  private gap: number;
  private last: { completed: number; imagesDone: number; active: number } | undefined;
  /** Failed attempts when work last moved. */
  private failedAtMove = 0;

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
    // A job taken since attempts began to fail is most likely taken to fail too: were that movement, a
    // worker failing each job after a while (a model download, then its check) would keep this silent.
    const moved =
      this.last === undefined ||
      s.completed !== this.last.completed ||
      s.imagesDone !== this.last.imagesDone ||
      (s.active > this.last.active && this.failedSinceMoved(s) === 0);
    this.last = { completed: s.completed, imagesDone: s.imagesDone, active: s.active };
    if (moved) {
      this.movedAt = now;
      this.gap = this.quietMs;
      this.nextAt = now + this.quietMs;
      this.failedAtMove = s.failedAttempts;
      return false;
    }
    // Jobs that all wait out a retry's backoff leave nothing to take, but their failures are news.
    return now >= this.nextAt && (s.waiting + s.active > 0 || this.failedSinceMoved(s) > 0);
  }

  /** Attempts that failed since work last moved: when not 0, `notice` wants the latest (FailedAttempt). */
  failedSinceMoved(s: QueueSnapshot): number {
    return s.failedAttempts - this.failedAtMove;
  }

  /**
   * The line to print once `due`; `orphaned` counts active jobs whose worker stopped renewing them,
   * `lastFailure` is the latest failed attempt (when failedSinceMoved is not 0).
   */
  notice(now: number, s: QueueSnapshot, orphaned: number, lastFailure?: FailedAttempt): string {
    this.gap = Math.min(this.gap * 2, LONGEST_REMINDER_MS);
    this.nextAt = now + this.gap;
    const quietS = Math.round((now - this.movedAt) / 1000);
    const failed = this.failedSinceMoved(s);
    if (failed > 0) {
      const last =
        lastFailure === undefined
          ? ''
          : `; the last: ${lastFailure.job}, attempt ${lastFailure.attempt} of ${lastFailure.attempts}: ${lastFailure.reason}`;
      return (
        `workers are failing jobs: ${failed} attempt${failed === 1 ? '' : 's'} failed in the last ${quietS} s ` +
        `and nothing moved (${s.waiting} waiting, ${s.active} running)${last}. A job that fails its last ` +
        `attempt fails the build`
      );
    }
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
