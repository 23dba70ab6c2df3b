import { afterEach, describe, expect, it, vi } from 'vitest';
import { throttledProgress } from './progressThrottle';
import type { LoadProgress } from './searchApi';

const step = (loadedBytes: number, done = false): LoadProgress => ({
  stage: 'index',
  loadedBytes,
  totalBytes: 1000,
  fromCache: false,
  done,
});

describe('throttledProgress', () => {
  afterEach(() => vi.useRealTimers());

  it('passes the start and the end and at most one update per interval between them', () => {
    vi.useFakeTimers();
    const seen: number[] = [];
    const report = throttledProgress((p) => void seen.push(p.loadedBytes), 100);
    report(step(0));
    report(step(10));
    report(step(20));
    vi.advanceTimersByTime(150);
    report(step(30));
    report(step(40));
    report(step(1000, true));
    expect(seen).toEqual([0, 30, 1000]);
  });

  it('survives a callback that throws or rejects', () => {
    const throwing = throttledProgress(() => {
      throw new Error('page closed');
    });
    expect(() => throwing(step(0, true))).not.toThrow();
    const rejecting = throttledProgress(() => Promise.reject(new Error('gone')) as unknown as void);
    expect(() => rejecting(step(0, true))).not.toThrow();
  });
});
