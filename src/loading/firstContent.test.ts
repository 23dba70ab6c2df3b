import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFirstContentSignal } from './firstContent';

describe('first content signal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const settled = (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    return () => done;
  };

  it('holds waiters until raised, then releases them all', async () => {
    const signal = createFirstContentSignal();
    const a = settled(signal.shown(3000));
    const b = settled(signal.shown(3000));
    await vi.advanceTimersByTimeAsync(1000);
    expect([a(), b()]).toEqual([false, false]);
    signal.raise();
    await vi.advanceTimersByTimeAsync(0);
    expect([a(), b()]).toEqual([true, true]);
  });

  it('releases a waiter after the fallback delay when nothing is raised', async () => {
    const signal = createFirstContentSignal();
    const a = settled(signal.shown(3000));
    await vi.advanceTimersByTimeAsync(2999);
    expect(a()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(a()).toBe(true);
  });

  it('resolves at once after it was raised, and raising twice is harmless', async () => {
    const signal = createFirstContentSignal();
    signal.raise();
    signal.raise();
    const a = settled(signal.shown(60_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(a()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its fallback timer once raised', async () => {
    const signal = createFirstContentSignal();
    void signal.shown(3000);
    expect(vi.getTimerCount()).toBe(1);
    signal.raise();
    expect(vi.getTimerCount()).toBe(0);
  });
});
