import { describe, expect, it } from 'vitest';
import { QuietBuildNotice, type QueueSnapshot } from './quietBuildNotice';

const START = 'npm run build-worker -- --queue redis://127.0.0.1:6379';
const snap = (over: Partial<QueueSnapshot>): QueueSnapshot => ({
  waiting: 0,
  active: 0,
  completed: 0,
  imagesDone: 0,
  failedAttempts: 0,
  ...over,
});

describe('QuietBuildNotice', () => {
  it('says no worker took a job once nothing moved for the quiet time, then less and less often', () => {
    const n = new QuietBuildNotice(1_000, START, 0);
    const idle = snap({ waiting: 3 });
    expect(n.due(0, idle)).toBe(false);
    expect(n.due(999, idle)).toBe(false);
    expect(n.due(1_000, idle)).toBe(true);
    expect(n.notice(1_000, idle, 0)).toBe(
      `no worker has taken a job for 1 s (3 jobs waiting): is one running, on this Redis? Start one: ${START}`,
    );
    // The next reminder after twice the gap, then four times.
    expect(n.due(2_999, idle)).toBe(false);
    expect(n.due(3_000, idle)).toBe(true);
    n.notice(3_000, idle, 0);
    expect(n.due(6_999, idle)).toBe(false);
    expect(n.due(7_000, idle)).toBe(true);
  });

  it('starts over when a job is taken, an image is done or a job completes', () => {
    const n = new QuietBuildNotice(1_000, START, 0);
    n.due(0, snap({ waiting: 2 }));
    expect(n.due(900, snap({ waiting: 1, active: 1 }))).toBe(false);
    expect(n.due(1_800, snap({ waiting: 1, active: 1 }))).toBe(false);
    expect(n.due(1_900, snap({ waiting: 1, active: 1, imagesDone: 4 }))).toBe(false);
    expect(n.due(2_800, snap({ waiting: 1, active: 1, imagesDone: 4 }))).toBe(false);
    expect(n.due(2_900, snap({ waiting: 1, active: 1, imagesDone: 4 }))).toBe(true);
    // A job finishing moves the build even when the images done stay (a retry starts from 0).
    expect(n.due(3_000, snap({ waiting: 1, completed: 1, imagesDone: 4 }))).toBe(false);
  });

  it('names jobs held by workers that stopped, and stays silent with nothing left to take', () => {
    const n = new QuietBuildNotice(1_000, START, 0);
    const stuck = snap({ waiting: 1, active: 2, imagesDone: 8 });
    n.due(0, stuck);
    expect(n.due(1_500, stuck)).toBe(true);
    expect(n.notice(1_500, stuck, 2)).toBe(
      'nothing has moved for 2 s: 2 jobs held by workers that stopped; they go back to the queue when a ' +
        `worker runs (1 more waiting). Start one: ${START}`,
    );
    expect(n.due(5_000, stuck)).toBe(true);
    expect(n.notice(5_000, stuck, 1)).toMatch(
      /^nothing has moved for 5 s: 2 jobs running \(1 of them held by workers that stopped\), 1 waiting/,
    );
    // Only jobs waiting out a retry's backoff: nothing a worker could take now.
    const m = new QuietBuildNotice(1_000, START, 0);
    m.due(0, snap({}));
    expect(m.due(60_000, snap({}))).toBe(false);
  });

  it('says workers are failing jobs, how many attempts failed and the last reason, not that none runs', () => {
    const n = new QuietBuildNotice(1_000, START, 0);
    n.due(0, snap({ waiting: 8 }));
    // Each job taken fails at once: the queue seldom shows it active, and a take is no movement then.
    expect(n.due(400, snap({ waiting: 7, failedAttempts: 1 }))).toBe(false);
    expect(n.due(600, snap({ waiting: 6, active: 1, failedAttempts: 1 }))).toBe(false);
    const failing = snap({ waiting: 7, failedAttempts: 3 });
    expect(n.due(1_000, failing)).toBe(true);
    expect(n.failedSinceMoved(failing)).toBe(3);
    const last = {
      job: 'job-00003',
      attempt: 2,
      attempts: 3,
      reason: 'model abc.onnx does not match its name',
    };
    expect(n.notice(1_000, failing, 0, last)).toBe(
      'workers are failing jobs: 3 attempts failed in the last 1 s and nothing moved (7 waiting, 0 running); ' +
        'the last: job-00003, attempt 2 of 3: model abc.onnx does not match its name. A job that fails its ' +
        'last attempt fails the build',
    );
    // Every job waiting out its backoff: nothing to take, but the failures are still said.
    const backingOff = snap({ failedAttempts: 5 });
    expect(n.due(3_000, backingOff)).toBe(true);
    expect(n.notice(3_000, backingOff, 0)).toMatch(
      /^workers are failing jobs: 5 attempts failed in the last 3 s/,
    );
    // Work moving again starts over, counting failures from there.
    expect(n.due(3_100, snap({ waiting: 1, completed: 1, failedAttempts: 5 }))).toBe(false);
    const idle = snap({ waiting: 1, completed: 1, failedAttempts: 5 });
    expect(n.due(4_100, idle)).toBe(true);
    expect(n.failedSinceMoved(idle)).toBe(0);
    expect(n.notice(4_100, idle, 0)).toMatch(/^no worker has taken a job for 1 s/);
  });
});
