import { describe, expect, it } from 'vitest';
import type { LoadInfo, LoadProgress } from '../../workers/searchApi';
import { createInitialLoad } from './initialLoad';

const progress = (stage: LoadProgress['stage'], loadedBytes: number): LoadProgress => ({
  stage,
  loadedBytes,
  totalBytes: 100,
  fromCache: false,
  done: false,
});

/** A load the test drives: its progress callback and how it ends. */
function controlledLoad() {
  let report: ((p: LoadProgress) => void) | undefined;
  let finish: ((info: LoadInfo) => void) | undefined;
  let fail: ((err: Error) => void) | undefined;
  let calls = 0;
  const load = (onProgress: (p: LoadProgress) => void) => {
    calls++;
    report = onProgress;
    return new Promise<LoadInfo>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return {
    load,
    calls: () => calls,
    report: (p: LoadProgress) => report!(p),
    finish: (info: LoadInfo) => finish!(info),
    fail: (err: Error) => fail!(err),
  };
}

describe('initial load', () => {
  it('starts once, replays the progress sent before it was taken, then forwards the rest', async () => {
    const c = controlledLoad();
    const initial = createInitialLoad(c.load);
    initial.start();
    initial.start();
    expect(c.calls()).toBe(1);
    c.report(progress('manifest', 10));
    c.report(progress('catalog', 20));
    const seen: LoadProgress[] = [];
    const taken = initial.take((p) => seen.push(p));
    expect(seen.map((p) => p.stage)).toEqual(['manifest', 'catalog']);
    c.report(progress('index', 30));
    expect(seen.map((p) => p.stage)).toEqual(['manifest', 'catalog', 'index']);
    const info = { count: 3 } as LoadInfo;
    c.finish(info);
    await expect(taken).resolves.toBe(info);
  });

  it('is taken once: a second taker (a retry, an effect run twice) loads by itself', () => {
    const c = controlledLoad();
    const initial = createInitialLoad(c.load);
    expect(initial.take(() => {})).toBeNull();
    initial.start();
    expect(initial.take(() => {})).not.toBeNull();
    expect(initial.take(() => {})).toBeNull();
  });

  it('hands a failure to whoever takes the load, without an unhandled rejection before', async () => {
    const c = controlledLoad();
    const initial = createInitialLoad(c.load);
    initial.start();
    c.fail(new Error('no manifest'));
    // Let the rejection settle before anyone holds the promise.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await expect(initial.take(() => {})).rejects.toThrow('no manifest');
  });
});
