import { describe, expect, it, vi } from 'vitest';
import { RELOAD_MEMORY_MS, SKIP_WAITING, helpTakeOver, nextStep, takeoverBy } from './siteUpdate';

describe('site updates', () => {
  const message =
    'data/index.bin: index format version 6 is newer than this version of Lookalike reads (up to 5)';

  it('reloads for a newer file the first time, and gives up when the reload met the same file', () => {
    expect(nextStep(message, null, 1_000)).toBe('reload');
    expect(nextStep(message, { message, at: 1_000 }, 5_000)).toBe('give-up');
  });

  it('reloads again for another file, or for the same one after another deploy', () => {
    expect(nextStep(message, { message: 'manifest format version 4 is newer', at: 1_000 }, 5_000)).toBe(
      'reload',
    );
    expect(nextStep(message, { message, at: 1_000 }, 1_000 + RELOAD_MEMORY_MS)).toBe('reload');
  });
});

/** A service worker as the page sees it: its state, its statechange events and what it was sent. */
class FakeServiceWorker extends EventTarget {
  posted: unknown[] = [];
  constructor(public state: ServiceWorkerState) {
    super();
  }
  postMessage(message: unknown) {
    this.posted.push(message);
  }
  moveTo(state: ServiceWorkerState) {
    this.state = state;
    this.dispatchEvent(new Event('statechange'));
  }
}

describe('waiting for the new service worker', () => {
  const asWorker = (w: FakeServiceWorker) => w as unknown as ServiceWorker;

  it('asks an installed worker to skip waiting, and is done when it activates', async () => {
    const incoming = new FakeServiceWorker('installing');
    let taken = false;
    const takeover = takeoverBy(asWorker(incoming), 60_000).then(() => (taken = true));
    expect(incoming.posted).toEqual([]);
    incoming.moveTo('installed');
    expect(incoming.posted).toEqual([SKIP_WAITING]);
    await Promise.resolve();
    expect(taken).toBe(false);
    incoming.moveTo('activating');
    incoming.moveTo('activated');
    await takeover;
    expect(taken).toBe(true);
  });

  it('asks a worker that already waits at once', async () => {
    const parked = new FakeServiceWorker('installed');
    const takeover = takeoverBy(asWorker(parked), 60_000);
    expect(parked.posted).toEqual([SKIP_WAITING]);
    parked.moveTo('activated');
    await takeover;
  });

  it('nudges the old worker by a frame while the new one sits installed, and cleans up when it takes over', async () => {
    // Chromium keeps a worker that skipped waiting waiting while the old one is awake (src/siteUpdate.ts).
    vi.useFakeTimers();
    try {
      const parked = new FakeServiceWorker('installed');
      const frames: string[] = [];
      let made = 0;
      const nudge = () => {
        const frame = `frame ${++made}`;
        frames.push(frame);
        return () => frames.splice(frames.indexOf(frame), 1);
      };
      const takeover = takeoverBy(asWorker(parked), 60_000, nudge);
      expect(parked.posted).toEqual([SKIP_WAITING]);
      await vi.advanceTimersByTimeAsync(900);
      expect(frames).toEqual([]);
      await vi.advanceTimersByTimeAsync(200);
      expect(frames).toEqual(['frame 1']);
      // Again every second while it stays, one frame at a time.
      await vi.advanceTimersByTimeAsync(1_000);
      expect(frames).toEqual(['frame 2']);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(frames).toEqual(['frame 5']);
      parked.moveTo('activating');
      await vi.advanceTimersByTimeAsync(5_000);
      expect(frames).toEqual(['frame 5']);
      parked.moveTo('activated');
      await takeover;
      expect(frames).toEqual([]);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(frames).toEqual([]);
      expect(parked.posted).toEqual([SKIP_WAITING]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not nudge a worker that takes over by itself', async () => {
    vi.useFakeTimers();
    try {
      const incoming = new FakeServiceWorker('installing');
      let nudged = 0;
      const takeover = takeoverBy(asWorker(incoming), 60_000, () => {
        nudged++;
        return () => {};
      });
      await vi.advanceTimersByTimeAsync(1_000);
      incoming.moveTo('installed');
      incoming.moveTo('activating');
      incoming.moveTo('activated');
      await takeover;
      await vi.advanceTimersByTimeAsync(20_000);
      expect(nudged).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up after the bound, and on a worker that failed', async () => {
    vi.useFakeTimers();
    try {
      const stuck = takeoverBy(asWorker(new FakeServiceWorker('installed')), 1_000, () => () => {});
      await vi.advanceTimersByTimeAsync(1_000);
      await stuck;
    } finally {
      vi.useRealTimers();
    }
    const failing = new FakeServiceWorker('installing');
    const takeover = takeoverBy(asWorker(failing), 60_000);
    failing.moveTo('redundant');
    await takeover;
  });

  it('helps each worker take over once, however many parts of the page ask', async () => {
    const incoming = new FakeServiceWorker('installing');
    const other = new FakeServiceWorker('installing');
    const first = helpTakeOver(asWorker(incoming));
    expect(helpTakeOver(asWorker(incoming))).toBe(first);
    const second = helpTakeOver(asWorker(other));
    expect(second).not.toBe(first);
    incoming.moveTo('redundant');
    other.moveTo('redundant');
    await Promise.all([first, second]);
  });
});
