import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ForegroundCalls } from './foregroundCalls';

/** A call the test ends by hand. */
function pendingCall() {
  let end!: () => void;
  const done = new Promise<void>((resolve) => (end = resolve));
  return { done, end };
}

describe('ForegroundCalls', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const newCalls = () => new ForegroundCalls(250, () => Date.now());

  it('lets background reads go on at once when the page has not called', async () => {
    const calls = newCalls();
    let released = false;
    void calls.whenIdle().then(() => (released = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toBe(true);
  });

  it('holds them while a call runs and for the quiet time after it', async () => {
    const calls = newCalls();
    const call = pendingCall();
    const running = calls.run(() => call.done.then(() => 'result'));
    let released = false;
    void calls.whenIdle().then(() => (released = true));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(released).toBe(false);
    call.end();
    expect(await running).toBe('result');
    await vi.advanceTimersByTimeAsync(249);
    expect(released).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(released).toBe(true);
  });

  it('holds them through calls that follow each other within the quiet time', async () => {
    const calls = newCalls();
    let released = false;
    await calls.run(async () => {});
    void calls.whenIdle().then(() => (released = true));
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(200);
      await calls.run(async () => {});
    }
    expect(released).toBe(false);
    await vi.advanceTimersByTimeAsync(250);
    expect(released).toBe(true);
  });

  it('releases every waiting read, and a failed call counts as ended', async () => {
    const calls = newCalls();
    const call = pendingCall();
    const failing = calls.run(() => call.done.then(() => Promise.reject(new Error('no such image'))));
    const released: number[] = [];
    for (const n of [1, 2, 3]) void calls.whenIdle().then(() => released.push(n));
    call.end();
    await expect(failing).rejects.toThrow('no such image');
    await vi.advanceTimersByTimeAsync(250);
    expect(released).toEqual([1, 2, 3]);
  });
});
