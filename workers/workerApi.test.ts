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
function fakeWorker({
  readAhead = () => Promise.resolve(),
  modelReady = () => Promise.resolve(),
}: { readAhead?: () => Promise<void>; modelReady?: () => Promise<void> } = {}) {
  let whenIdle: WhenIdle | null = null;
  let endAlbumPage!: () => void;
  const current = {
    collection: {
      prefetch(idle: WhenIdle) {
        whenIdle = idle;
        return readAhead();
      },
      transform: () => Promise.resolve(null),
      albumItems: () => new Promise<[]>((resolve) => (endAlbumPage = () => resolve([]))),
    },
  } as unknown as LoadedBuild;
  const builds = {
    current,
    loaded: current,
    withCurrentBuild: <T>(run: (build: LoadedBuild) => Promise<T>) => run(current),
    // No manifest: storageStatus reports nothing unkept.
    cache: () => Promise.resolve({ storeUnkept: () => Promise.resolve(false) }),
  } as unknown as BuildLoader;
  const model = {
    ready: modelReady,
    isReady: true,
    status: () => ({}),
  } as unknown as QueryModel;
  const api = workerApi(builds, model);
  return { api, whenIdle: () => whenIdle!, endAlbumPage: () => endAlbumPage() };
}

describe('workerApi', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    // The worker's global scope, as status() reads it.
    vi.stubGlobal('self', { crossOriginIsolated: false });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

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

  it('says the albums and their results are stored once the preload has read them ahead, not before', async () => {
    let finish!: () => void;
    const worker = fakeWorker({ readAhead: () => new Promise<void>((resolve) => (finish = resolve)) });
    const preload = worker.api.preloadInBackground();
    await vi.advanceTimersByTimeAsync(0);
    expect((await worker.api.status()).browseDataStored).toBe(false);
    finish();
    await preload;
    expect((await worker.api.status()).browseDataStored).toBe(true);
  });

  it('reports a failed model only after the read-ahead, so the status then says how that went', async () => {
    let finish!: () => void;
    const worker = fakeWorker({
      readAhead: () => new Promise<void>((resolve) => (finish = resolve)),
      modelReady: () => Promise.reject(new Error('no model')),
    });
    let settled = false;
    const preload = worker.api.preloadInBackground().catch((err: unknown) => {
      settled = true;
      return err;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    finish();
    expect(await preload).toEqual(new Error('no model'));
    expect((await worker.api.status()).browseDataStored).toBe(true);
  });
});
