import { describe, expect, it } from 'vitest';
import type { WorkerStatus } from '../../workers/searchApi';
import { statusNotices, type StatusInputs } from './statusNotices';

const worker = (over: Partial<WorkerStatus>): WorkerStatus => ({
  collectionLoaded: true,
  browseDataStored: true,
  model: 'idle',
  modelError: null,
  indexError: null,
  executionProvider: null,
  webGpuError: null,
  threads: 0,
  crossOriginIsolated: false,
  hashImplementation: 'webcrypto',
  storage: { notKept: [], reason: null, freeBytes: null },
  ...over,
});

const base: StatusInputs = {
  imageCount: 1234,
  fromCache: false,
  dataUpdated: false,
  worker: null,
  offline: { state: 'installing' },
  siteUpdate: { state: 'current' },
};
const ids = (s: StatusInputs) => statusNotices(s).map((n) => n.id);

describe('statusNotices', () => {
  it('says only how many images there are when all is well', () => {
    const [notice, ...rest] = statusNotices(base);
    expect(rest).toEqual([]);
    expect(notice.text).toContain('1,234 images');
  });

  it('says nothing before the index has loaded', () => {
    expect(statusNotices({ ...base, imageCount: null })).toEqual([]);
  });

  it('warns that offline use needs HTTPS on an insecure page', () => {
    expect(ids({ ...base, offline: { state: 'unavailable', reason: 'insecure-context' } })).toEqual([
      'offline-needs-https',
      'ready',
    ]);
    expect(ids({ ...base, offline: { state: 'unavailable', reason: 'development' } })).toEqual(['ready']);
  });

  it('says when the app works offline and when setting that up failed', () => {
    const ready = { ...base, offline: { state: 'ready' } } as const;
    expect(statusNotices({ ...ready, worker: worker({}) })[0].text).toContain('works offline');
    // Not before the albums and their results are stored too, nor when storage refused them.
    expect(statusNotices(ready)[0].text).not.toContain('offline');
    expect(statusNotices({ ...ready, worker: worker({ browseDataStored: false }) })[0].text).not.toContain(
      'offline',
    );
    const refused = worker({ storage: { notKept: ['collection'], reason: 'quota', freeBytes: 0 } });
    expect(statusNotices({ ...ready, worker: refused }).at(-1)!.text).not.toContain('works offline');
    const failed = statusNotices({ ...base, offline: { state: 'failed', message: 'quota' } });
    expect(failed[0].id).toBe('offline-failed');
    expect(failed[0].text).toContain('quota');
  });

  it('names each feature that storage pressure costs, with the reason and what is free', () => {
    const short = (notKept: WorkerStatus['storage']['notKept']) =>
      statusNotices({
        ...base,
        worker: worker({ storage: { notKept, reason: 'storage quota exceeded', freeBytes: 1_200_000 } }),
      });
    expect(short([]).map((n) => n.id)).toEqual(['ready']);
    const both = short(['collection', 'model']);
    expect(both.map((n) => n.id)).toEqual(['storage-short', 'ready']);
    expect(both[0].text).toContain('storage quota exceeded');
    expect(both[0].text).toContain('1.20 MB free');
    expect(both[0].text).toMatch(/collection is not kept.*model is not kept/);
    expect(short(['model'])[0].text).not.toContain('collection');
  });

  it('puts a model failure first, with its reason', () => {
    const notices = statusNotices({ ...base, worker: worker({ model: 'failed', modelError: 'HTTP 404' }) });
    expect(notices[0].id).toBe('model-failed');
    expect(notices[0].text).toContain('HTTP 404');
  });

  it('says own-image search is unavailable when the index failed to load, once', () => {
    const notices = statusNotices({ ...base, worker: worker({ indexError: 'index.0123.bin: wrong magic' }) });
    expect(notices[0].id).toBe('index-failed');
    expect(notices[0].text).toMatch(/own image is unavailable.*wrong magic.*Album search still works/);
    // A model failure says the same to the user already.
    const both = statusNotices({
      ...base,
      worker: worker({ model: 'failed', modelError: 'HTTP 404', indexError: 'wrong magic' }),
    });
    expect(both.map((n) => n.id)).not.toContain('index-failed');
  });

  it('names the execution provider once the model runs', () => {
    const text = statusNotices({ ...base, worker: worker({ executionProvider: 'wasm', threads: 2 }) })[0]
      .text;
    expect(text).toContain('WebAssembly (2 threads)');
    expect(statusNotices({ ...base, worker: worker({ executionProvider: 'webgpu' }) })[0].text).toContain(
      'model on WebGPU',
    );
    const fellBack = worker({ executionProvider: 'wasm', threads: 1, webGpuError: 'no adapter' });
    expect(statusNotices({ ...base, worker: fellBack })[0].text).toContain(
      'WebAssembly (1 thread; WebGPU failed)',
    );
  });

  it("says only that the page reloads while it loads the site's newer app", () => {
    const failing = worker({
      indexError: 'index format version 6 is newer than this version of Lookalike reads (up to 5)',
    });
    expect(ids({ ...base, worker: failing, siteUpdate: { state: 'reloading' } })).toEqual(['site-updated']);
  });

  it("says first when the site's own app cannot read its collection, naming the file", () => {
    const message =
      'data/index.bin: index format version 6 is newer than this version of Lookalike reads (up to 5)';
    const failing = worker({ indexError: message });
    const notices = statusNotices({
      ...base,
      worker: failing,
      siteUpdate: { state: 'app-older-than-data', message },
    });
    expect(notices.map((n) => n.id)).toEqual(['site-outdated', 'index-failed', 'ready']);
    expect(notices[0].text).toContain(message);
    expect(notices[0].tone).toBe('error');
  });

  it('says when the collection was rebuilt and the app switched to the new version', () => {
    expect(ids({ ...base, dataUpdated: true })).toEqual(['data-updated', 'ready']);
    expect(statusNotices({ ...base, dataUpdated: true })[0].text).toContain('collection was updated');
  });

  it('mentions the cache when the index came from it', () => {
    expect(statusNotices({ ...base, fromCache: true })[0].text).toContain('cache');
  });
});
