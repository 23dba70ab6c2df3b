import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../core/sha256';
import { CACHE_FORMAT_VERSION, DataCache, fileKey, partKey, type KeyValueBackend } from './dataCache';

/** An in-memory stand-in for IndexedDB that clones values like IndexedDB does. */
function mapBackend(options: { failSetWith?: DOMException; quotaBytes?: number } = {}) {
  const map = new Map<string, unknown>();
  const size = (v: unknown) => (v as { bytes?: ArrayBuffer }).bytes?.byteLength ?? 0;
  const backend: KeyValueBackend = {
    get: async (key) => structuredClone(map.get(key)),
    set: async (key, value) => {
      if (options.failSetWith) throw options.failSetWith;
      const used = [...map.values()].reduce((n: number, v) => n + size(v), 0);
      if (options.quotaBytes !== undefined && used + size(value) > options.quotaBytes)
        throw new DOMException('full', 'QuotaExceededError');
      map.set(key, structuredClone(value));
    },
    del: async (key) => void map.delete(key),
    keys: async () => [...map.keys()],
  };
  return { map, backend };
}

function bytesOf(text: string): { buffer: ArrayBuffer; sha256: string } {
  const view = new TextEncoder().encode(text);
  return { buffer: view.buffer.slice(0) as ArrayBuffer, sha256: sha256Hex(view) };
}

describe('DataCache', () => {
  it('returns stored bytes after verifying them, by full hash or 16-digit prefix', async () => {
    const { backend } = mapBackend();
    const cache = await DataCache.open(backend);
    const file = bytesOf('index bytes');
    await cache.writeFile(file.sha256, file.buffer);
    const hit = await cache.readFile(file.sha256);
    expect(hit.outcome).toBe('hit');
    if (hit.outcome === 'hit') expect(new TextDecoder().decode(hit.bytes)).toBe('index bytes');
    expect(cache.memoryOnly).toBe(false);
    expect(await cache.readFile('0'.repeat(64))).toEqual({ outcome: 'miss' });
  });

  it('drops an entry whose bytes no longer match their hash', async () => {
    const { map, backend } = mapBackend();
    const cache = await DataCache.open(backend);
    const file = bytesOf('catalog bytes');
    await cache.writeFile(file.sha256, file.buffer);
    const entry = map.get(fileKey(file.sha256)) as { bytes: ArrayBuffer };
    new Uint8Array(entry.bytes)[0] ^= 1;
    const read = await cache.readFile(file.sha256);
    expect(read.outcome).toBe('dropped');
    if (read.outcome === 'dropped') expect(read.reason).toMatch(/sha256 mismatch/);
    expect(map.has(fileKey(file.sha256))).toBe(false);
  });

  it('drops entries of another cache format and malformed entries', async () => {
    const { map, backend } = mapBackend();
    const cache = await DataCache.open(backend);
    const file = bytesOf('model bytes');
    await cache.writeFile(file.sha256, file.buffer);
    (map.get(fileKey(file.sha256)) as { formatVersion: number }).formatVersion = CACHE_FORMAT_VERSION + 1;
    expect(await cache.readFile(file.sha256)).toEqual({
      outcome: 'dropped',
      reason: `cache format ${CACHE_FORMAT_VERSION + 1}`,
    });
    map.set(fileKey(file.sha256), 'not an entry');
    expect(await cache.readFile(file.sha256)).toEqual({ outcome: 'dropped', reason: 'malformed entry' });
    expect(map.size).toBe(0);
  });

  it('holds what does not fit the quota in memory, keeps storing what fits, and says which was not kept', async () => {
    const { backend, map } = mapBackend({ quotaBytes: 16 });
    const cache = await DataCache.open(backend);
    const big = bytesOf('too big for the quota');
    const small = bytesOf('fits');
    expect(await cache.writeFile(big.sha256, big.buffer)).toBe(false);
    expect(await cache.writeFile(small.sha256, small.buffer)).toBe(true);
    expect(cache.memoryOnly).toBe(false);
    expect(cache.isKept(big.sha256)).toBe(false);
    expect(cache.isKept(small.sha256)).toBe(true);
    expect(cache.notKeptReason).toBe('storage quota exceeded');
    expect(map.has(fileKey(small.sha256))).toBe(true);
    // Both are readable this session.
    expect((await cache.readFile(big.sha256)).outcome).toBe('hit');
    expect((await cache.readFile(small.sha256)).outcome).toBe('hit');
  });

  it('stores what the quota refused once room comes free, smallest first, not what the room cannot hold', async () => {
    const { backend, map } = mapBackend({ quotaBytes: 32 });
    const cache = await DataCache.open(backend);
    const other = bytesOf('sixteen bytes...');
    await cache.writeFile(other.sha256, other.buffer);
    const small = bytesOf('eight b.');
    const large = bytesOf('twenty bytes, twenty');
    expect(await cache.writeFile(large.sha256, large.buffer)).toBe(false);
    expect(await cache.writeFile(small.sha256, small.buffer)).toBe(true);
    await cache.writeParts('build', [['cell:1', new Uint8Array(12)]]);
    expect(cache.partsKept('build')).toBe(false);

    // Nothing fits in what the browser says is left: nothing is tried.
    expect(await cache.storeUnkept(4)).toBe(false);
    // Room comes free (another store let go of 16 bytes): the part fits, the large file still does not.
    map.delete(fileKey(other.sha256));
    expect(await cache.storeUnkept(null)).toBe(true);
    expect(cache.partsKept('build')).toBe(true);
    expect(cache.isKept(large.sha256)).toBe(false);
    expect(cache.notKeptReason).toBe('storage quota exceeded');
    expect((await cache.readFile(large.sha256)).outcome).toBe('hit');
    // And once it does fit, nothing is left out.
    map.delete(fileKey(small.sha256));
    expect(await cache.storeUnkept(8)).toBe(false);
    expect(await cache.storeUnkept(32)).toBe(true);
    expect(cache.isKept(large.sha256)).toBe(true);
    expect(cache.notKeptReason).toBeNull();
  });

  it('tracks parts that did not fit per build', async () => {
    const { backend } = mapBackend({ quotaBytes: 8 });
    const cache = await DataCache.open(backend);
    await cache.writeParts('build-a', [['head', new Uint8Array(4)]]);
    expect(cache.partsKept('build-a')).toBe(true);
    await cache.writeParts('build-b', [
      ['cell:1', new Uint8Array(2)],
      ['cell:2', new Uint8Array(64)],
    ]);
    expect(cache.partsKept('build-a')).toBe(true);
    expect(cache.partsKept('build-b')).toBe(false);
    expect(await cache.readParts('build-b', ['cell:1', 'cell:2'])).toEqual([
      new Uint8Array(2),
      new Uint8Array(64),
    ]);
  });

  it('drops an entry it cannot read back and keeps storing, rather than giving up the whole store', async () => {
    const { map, backend } = mapBackend();
    // Chromium's answer for a large value whose blob file is gone from the profile.
    const lost = new DOMException('Data lost due to missing file', 'NotReadableError');
    const unreadable = new Set<string>();
    const get = backend.get;
    backend.get = (key) => (unreadable.has(key) ? Promise.reject(lost) : get(key));
    backend.getMany = (keyList) => {
      if (keyList.some((k) => unreadable.has(k))) return Promise.reject(lost);
      return Promise.all(keyList.map(get));
    };
    const cache = await DataCache.open(backend);
    const model = bytesOf('model bytes');
    await cache.writeFile(model.sha256, model.buffer);
    unreadable.add(fileKey(model.sha256));

    expect(await cache.readFile(model.sha256)).toEqual({ outcome: 'miss' });
    expect(cache.memoryOnly).toBe(false);
    expect(map.has(fileKey(model.sha256))).toBe(false);
    unreadable.clear();
    // Downloaded again, it is stored anew and survives the session.
    expect(await cache.writeFile(model.sha256, model.buffer)).toBe(true);
    expect(cache.isKept(model.sha256)).toBe(true);
    expect(cache.notKeptReason).toBeNull();

    // In a batch read, the readable parts still come from the store and only the lost one goes.
    await cache.writeParts('build-a', [
      ['cell:1', new Uint8Array(3)],
      ['cell:2', new Uint8Array(5)],
    ]);
    unreadable.add(partKey('build-a', 'cell:2'));
    expect(await cache.readParts('build-a', ['cell:1', 'cell:2'])).toEqual([new Uint8Array(3), undefined]);
    expect(cache.memoryOnly).toBe(false);
    expect([...(await cache.partNames('build-a'))]).toEqual(['cell:1']);
  });

  it('falls back to memory when the store can neither read an entry nor delete it', async () => {
    const { backend } = mapBackend();
    const cache = await DataCache.open(backend);
    const file = bytesOf('catalog bytes');
    await cache.writeFile(file.sha256, file.buffer);
    const closed = new DOMException('The database connection is closing.', 'InvalidStateError');
    backend.get = () => Promise.reject(closed);
    backend.del = () => Promise.reject(closed);
    expect(await cache.readFile(file.sha256)).toEqual({ outcome: 'miss' });
    expect(cache.memoryOnly).toBe(true);
    expect(cache.memoryOnlyReason).toMatch(/IndexedDB failed.*InvalidStateError/);
  });

  it('keeps working in memory when every write is refused', async () => {
    const { backend } = mapBackend({ failSetWith: new DOMException('broken', 'UnknownError') });
    const cache = await DataCache.open(backend);
    const file = bytesOf('not stored');
    expect(await cache.writeFile(file.sha256, file.buffer)).toBe(false);
    expect(cache.memoryOnly).toBe(true);
    expect(cache.notKeptReason).toMatch(/IndexedDB failed.*UnknownError/);
    expect(cache.isKept(file.sha256)).toBe(false);
    expect((await cache.readFile(file.sha256)).outcome).toBe('hit');
  });

  it('holds at most its memory bound without storage, the least recently used going first', async () => {
    // A long session without IndexedDB (private windows of some browsers) read every file and part into
    // memory and kept it all.
    const cache = await DataCache.open(undefined, undefined, 3000);
    const file = (n: number) => bytesOf(String(n).repeat(1000));
    const [a, b, c] = [1, 2, 3].map(file);
    await cache.keepBuild('https://example.test/data/', '{"v":1}', {
      files: [a, b, c].map((f) => f.sha256),
      partScope: 'build-1',
    });
    for (const f of [a, b]) await cache.writeFile(f.sha256, f.buffer);
    await cache.writePart('build-1', 'cell-1', new Uint8Array(700));
    expect((await cache.readFile(a.sha256)).outcome).toBe('hit'); // a is used again: b is the oldest now
    await cache.writeFile(c.sha256, c.buffer);
    expect((await cache.readFile(b.sha256)).outcome).toBe('miss');
    expect((await cache.readFile(a.sha256)).outcome).toBe('hit');
    expect((await cache.readFile(c.sha256)).outcome).toBe('hit');
    // One larger than the bound is not held at all, and costs the others nothing.
    const huge = bytesOf('x'.repeat(4000));
    expect(await cache.writeFile(huge.sha256, huge.buffer)).toBe(false);
    expect((await cache.readFile(huge.sha256)).outcome).toBe('miss');
    expect((await cache.readFile(a.sha256)).outcome).toBe('hit');
    // The manifest, which decides what a build keeps, stays whatever is read.
    expect(await cache.readManifest('https://example.test/data/')).toBe('{"v":1}');
  });

  it('is memory-only where IndexedDB does not exist', async () => {
    expect(typeof indexedDB).toBe('undefined');
    const cache = await DataCache.open();
    expect(cache.memoryOnly).toBe(true);
    expect(cache.memoryOnlyReason).toBe('IndexedDB is not available');
    await cache.keepBuild('https://example.test/data/', '{"v":1}', { files: [], partScope: null });
    expect(await cache.readManifest('https://example.test/data/')).toBe('{"v":1}');
  });

  it('stores the last manifest per data URL', async () => {
    const { backend } = mapBackend();
    const cache = await DataCache.open(backend);
    await cache.keepBuild('https://a.test/data/', 'A', { files: [], partScope: null });
    expect(await cache.readManifest('https://a.test/data/')).toBe('A');
    expect(await cache.readManifest('https://b.test/data/')).toBeNull();
  });

  it("keepBuild deletes files and parts of earlier builds and keeps every data URL's build", async () => {
    const { map, backend } = mapBackend();
    const cache = await DataCache.open(backend);
    const [index, model, oldIndex, otherSite, shared] = [
      'index',
      'model',
      'old index',
      'site B index',
      'model B',
    ].map(bytesOf);
    const write = (...files: { buffer: ArrayBuffer; sha256: string }[]) =>
      Promise.all(files.map((f) => cache.writeFile(f.sha256, f.buffer)));
    // Site A's earlier build.
    await write(oldIndex, model);
    await cache.writePart('cat-old', 'shard-0', new Uint8Array([1]));
    await cache.keepBuild('https://x.test/a/data/', 'A1', {
      files: [oldIndex.sha256, model.sha256],
      partScope: 'cat-old',
    });
    // Another site on this origin stores its build (its model file is one site A's next build shares).
    await write(otherSite, shared);
    await cache.writePart('cat-b', 'shard-0', new Uint8Array([3]));
    await cache.keepBuild('https://x.test/b/data/', 'B', {
      files: [otherSite.sha256, shared.sha256],
      partScope: 'cat-b',
    });
    expect(map.has(fileKey(oldIndex.sha256))).toBe(true);
    expect(map.has('part:cat-old:shard-0')).toBe(true);
    // Site A's new build: its old index and old parts go, site B's files and parts stay.
    await write(index);
    await cache.writePart('cat-a', 'shard-0', new Uint8Array([2]));
    await cache.keepBuild('https://x.test/a/data/', 'A', {
      files: [index.sha256, model.sha256, shared.sha256],
      partScope: 'cat-a',
    });
    expect([...map.keys()].sort()).toEqual(
      [
        ...[index, model, otherSite, shared].map((f) => fileKey(f.sha256)),
        'manifest:https://x.test/a/data/',
        'manifest:https://x.test/b/data/',
        'part:cat-a:shard-0',
        'part:cat-b:shard-0',
      ].sort(),
    );
    expect(await cache.readManifest('https://x.test/b/data/')).toBe('B');
    // Site B moves on: the file it no longer uses goes, the one site A uses stays.
    await cache.keepBuild('https://x.test/b/data/', 'B2', { files: [], partScope: null });
    expect(map.has(fileKey(otherSite.sha256))).toBe(false);
    expect(map.has(fileKey(shared.sha256))).toBe(true);
    expect(map.has('part:cat-b:shard-0')).toBe(false);
  });

  it('a manifest stored before builds named what they use keeps nothing, and a malformed one is dropped', async () => {
    const { map, backend } = mapBackend();
    const cache = await DataCache.open(backend);
    const old = bytesOf('old');
    await cache.writeFile(old.sha256, old.buffer);
    const entry = { formatVersion: CACHE_FORMAT_VERSION, kind: 'manifest', text: 'L', storedAt: 0 };
    await backend.set('manifest:https://x.test/legacy/', { ...entry, dataUrl: 'https://x.test/legacy/' });
    await backend.set('manifest:https://x.test/bad/', {
      ...entry,
      dataUrl: 'https://x.test/bad/',
      uses: { files: 'not a list', partScope: null },
    });
    await cache.keepBuild('https://x.test/a/', 'A', { files: [], partScope: null });
    expect(map.has(fileKey(old.sha256))).toBe(false);
    expect(await cache.readManifest('https://x.test/legacy/')).toBe('L');
    expect(await cache.readManifest('https://x.test/bad/')).toBeNull();
  });

  it('falls back to memory when the store cannot be opened', async () => {
    const backend: KeyValueBackend = {
      get: () => Promise.reject(new DOMException('denied', 'InvalidStateError')),
      set: () => Promise.resolve(),
      del: () => Promise.resolve(),
      keys: () => Promise.resolve([]),
    };
    const cache = await DataCache.open(backend);
    expect(cache.memoryOnly).toBe(true);
    expect(cache.memoryOnlyReason).toMatch(/cannot be opened.*InvalidStateError/);
  });

  it('goes on in memory when opening the store does not answer (queued behind a blocked upgrade)', async () => {
    const { backend } = mapBackend();
    const cache = await DataCache.open({ ...backend, get: () => new Promise(() => undefined) }, 50);
    expect(cache.memoryOnly).toBe(true);
    expect(cache.memoryOnlyReason).toMatch(
      /cannot be opened \(.*no answer in 0.05 s: another tab of this site/,
    );
  });
});
