import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WhenIdle } from '../core/collection';
import type { BuildLoader } from './buildLoader';
import { QUIET_MS } from './foregroundCalls';
import type { LoadedBuild } from './loadedBuild';
import type { QueryModel } from './modelSession';
import { workerApi } from './workerApi';

/**
 * The worker API's one policy of its own: the background preload waits while the page waits on a
 * call. A build whose album page and preload the test controls, and a model that is always ready.
 */
function fakeWorker() {
  let whenIdle: WhenIdle | null = null;
  let endAlbumPage!: () => void;
  const current = {
    collection: {
      prefetch(idle: WhenIdle) {
        whenIdle = idle;
        return Promise.resolve();
      },
      transform: () => Promise.resolve(null),
      albumItems: () => new Promise<[]>((resolve) => (endAlbumPage = () => resolve([]))),
    },
  } as unknown as LoadedBuild;
  const builds = {
    current,
    withCurrentBuild: <T>(run: (build: LoadedBuild) => Promise<T>) => run(current),
  } as unknown as BuildLoader;
  const model = { ready: () => Promise.resolve() } as unknown as QueryModel;
  const api = workerApi(builds, model);
  return { api, whenIdle: () => whenIdle!, endAlbumPage: () => endAlbumPage() };
}

describe('workerApi', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('holds the preload while an album page is read, and for the quiet time after it', async () => {
    const worker = fakeWorker();
    await worker.api.preloadInBackground();
    let released = false;
    const page = worker.api.albumItems('Animals', 0, 10);
    void worker
      .whenIdle()()
      .then(() => (released = true));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(released).toBe(false);
    worker.endAlbumPage();
    await page;
    await vi.advanceTimersByTimeAsync(QUIET_MS);
    expect(released).toBe(true);
  });
});
