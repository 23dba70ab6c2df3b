import { del, get, getMany, keys, promisifyRequest, set, setMany, type UseStore } from 'idb-keyval';
import { digestMatches, sha256HexOf } from './downloadDigest';
import { MemoryEntries } from './memoryEntries';

/*
 * Content-addressed store for the data files (index, catalog, model) and the last manifest, in IndexedDB.
 * Every read is verified against the expected sha256, so a corrupt or tampered entry is dropped and the
 * caller refetches. When IndexedDB is missing or broken, entries live in memory for this session only
 * (the most recently used, up to MEMORY_BYTES); when it is full, an entry that does not fit lives in
 * memory and smaller ones are still stored, and the cache can say which entries were not kept (the app
 * names the features that costs).
 */

export const CACHE_DB_NAME = 'lookalike';
export const CACHE_STORE_NAME = 'files';
/** Bumped when the entry layout changes; entries of other versions are dropped on read. */
export const CACHE_FORMAT_VERSION = 1;

interface FileEntry {
  formatVersion: number;
  kind: 'file';
  sha256: string;
  bytes: ArrayBuffer;
  storedAt: number;
}

/** What a data URL's stored build needs kept: its files (by sha256) and the scope of its parts. */
export interface BuildUses {
  files: string[];
  partScope: string | null;
}

interface ManifestEntry {
  formatVersion: number;
  kind: 'manifest';
  dataUrl: string;
  text: string;
  /** Absent in entries stored before several sites on one origin were told apart: they keep nothing. */
  uses?: BuildUses;
  storedAt: number;
}

/** A piece of a range-loaded (sharded) build: index head, cell, catalog shard. Verified by the reader. */
interface PartEntry {
  formatVersion: number;
  kind: 'part';
  bytes: ArrayBuffer;
  storedAt: number;
}

type Entry = FileEntry | ManifestEntry | PartEntry;

export function fileKey(sha256: string): string {
  return `file:${sha256.toLowerCase()}`;
}

/** Parts are grouped by build (`scope`: the index sha256), so an old build's parts can go at once. */
export function partKey(scope: string, name: string): string {
  return `part:${scope}:${name}`;
}

export function manifestKey(dataUrl: string): string {
  return `manifest:${dataUrl}`;
}

/** What a verified read found: the bytes, nothing, or an entry that was dropped and why. */
export type CacheRead =
  { outcome: 'hit'; bytes: ArrayBuffer } | { outcome: 'miss' } | { outcome: 'dropped'; reason: string };

function isFileEntry(v: unknown): v is FileEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<FileEntry>;
  return e.kind === 'file' && typeof e.sha256 === 'string' && e.bytes instanceof ArrayBuffer;
}

function isManifestEntry(v: unknown): v is ManifestEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<ManifestEntry>;
  return (
    e.kind === 'manifest' &&
    typeof e.dataUrl === 'string' &&
    typeof e.text === 'string' &&
    (e.uses === undefined || isBuildUses(e.uses))
  );
}

function isBuildUses(v: unknown): v is BuildUses {
  if (typeof v !== 'object' || v === null) return false;
  const u = v as Partial<BuildUses>;
  return (
    Array.isArray(u.files) &&
    u.files.every((f) => typeof f === 'string') &&
    (u.partScope === null || typeof u.partScope === 'string')
  );
}

/** The key-value operations the cache needs; IndexedDB (idb-keyval) in browsers, anything in tests. */
export interface KeyValueBackend {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  /** One transaction for many keys, when the backend has it. */
  getMany?(keys: string[]): Promise<unknown[]>;
  setMany?(entries: [string, unknown][]): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<IDBValidKey[]>;
}

/**
 * idb-keyval's createStore, but a connection that another tab asks to upgrade is closed: idb-keyval keeps
 * its connection open for the worker's lifetime, so a later app that raises the database's version (a new
 * entry layout, an index) would wait, blocked, for as long as any tab of this app stays open, and its
 * page with it. The next operation here opens the database again, at whatever version it then has.
 */
function createStore(dbName: string, storeName: string): UseStore {
  let connection: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> => {
    const request = indexedDB.open(dbName);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    const opened = promisifyRequest(request);
    connection = opened;
    const forget = () => {
      if (connection === opened) connection = undefined;
    };
    opened.then((db) => {
      db.onversionchange = () => {
        db.close();
        forget();
      };
      // The browser closed it (storage cleared, a failure): open again next time.
      db.onclose = forget;
    }, forget);
    return opened;
  };
  return (txMode, callback) =>
    (connection ?? open()).then((db) => callback(db.transaction(storeName, txMode).objectStore(storeName)));
}

/** How long opening IndexedDB may take before the cache goes on in memory. */
const OPEN_WITHIN_MS = 10_000;

/**
 * What the cache holds in memory at most (entries IndexedDB could not take): the default model (17 MB),
 * a resident index and catalog and the cells of many queries, in a tab that must also run the model.
 */
const MEMORY_BYTES = 128 * 1024 * 1024;

function indexedDbBackend(): KeyValueBackend {
  const store = createStore(CACHE_DB_NAME, CACHE_STORE_NAME);
  return {
    get: (key) => get(key, store),
    set: (key, value) => set(key, value, store),
    getMany: (keyList) => getMany(keyList, store),
    setMany: (entries) => setMany(entries, store),
    del: (key) => del(key, store),
    keys: () => keys(store),
  };
}

function partEntry(bytes: Uint8Array): PartEntry {
  return {
    formatVersion: CACHE_FORMAT_VERSION,
    kind: 'part',
    bytes: bytes.slice().buffer,
    storedAt: Date.now(),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export class DataCache {
  private readonly memory: MemoryEntries<Entry>;
  private store: KeyValueBackend | null;
  private fallbackReason: string | null;
  /** Keys whose entry lives only in memory because the store refused it (quota). */
  private readonly unkept = new Set<string>();
  private unkeptReason: string | null = null;

  private constructor(store: KeyValueBackend | null, fallbackReason: string | null, memoryBytes: number) {
    this.store = store;
    this.fallbackReason = fallbackReason;
    this.memory = new MemoryEntries(memoryBytes);
  }

  /**
   * Opens the IndexedDB store (or `backend`); never throws: without a usable store the cache is
   * memory-only.
   */
  static async open(
    backend?: KeyValueBackend,
    openWithinMs = OPEN_WITHIN_MS,
    memoryBytes = MEMORY_BYTES,
  ): Promise<DataCache> {
    if (!backend && typeof indexedDB === 'undefined')
      return new DataCache(null, 'IndexedDB is not available', memoryBytes);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const store = backend ?? indexedDbBackend();
      // Opening is lazy; probe once so a blocked database (private mode, disabled storage) shows up now.
      // An open queued behind another tab's upgrade that an old tab holds up never answers: the page
      // would wait for the collection for ever, so it goes on without storage instead.
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `no answer in ${openWithinMs / 1000} s: another tab of this site may be holding it; close it and reload`,
              ),
            ),
          openWithinMs,
        );
      });
      await Promise.race([store.get('probe'), late]);
      return new DataCache(store, null, memoryBytes);
    } catch (err) {
      return new DataCache(null, `IndexedDB cannot be opened (${describe(err)})`, memoryBytes);
    } finally {
      clearTimeout(timer);
    }
  }

  /** True when entries are kept in memory only (nothing survives a reload). */
  get memoryOnly(): boolean {
    return this.store === null;
  }

  /** Why the cache is memory-only, or null. */
  get memoryOnlyReason(): string | null {
    return this.fallbackReason;
  }

  /** Whether this file survives the session: stored in IndexedDB, not only held in memory. */
  isKept(sha256: string): boolean {
    return this.store !== null && !this.unkept.has(fileKey(sha256));
  }

  /** Whether every part written for `scope` so far survives the session. */
  partsKept(scope: string): boolean {
    if (this.store === null) return false;
    const prefix = partKey(scope, '');
    for (const k of this.unkept) if (k.startsWith(prefix)) return false;
    return true;
  }

  /** Why some entries are not kept (memory-only, or the store refused them), or null when all are. */
  get notKeptReason(): string | null {
    return this.fallbackReason ?? (this.unkept.size > 0 ? this.unkeptReason : null);
  }

  /** Reads a file by its expected sha256 (full or 16-digit prefix) and verifies the bytes. */
  async readFile(sha256: string): Promise<CacheRead> {
    const key = fileKey(sha256);
    const raw = await this.read(key);
    if (raw === undefined) return { outcome: 'miss' };
    let reason: string;
    if (!isFileEntry(raw)) reason = 'malformed entry';
    else if (raw.formatVersion !== CACHE_FORMAT_VERSION) reason = `cache format ${raw.formatVersion}`;
    else {
      const actual = await sha256HexOf(raw.bytes);
      if (digestMatches(actual, sha256)) return { outcome: 'hit', bytes: raw.bytes };
      reason = `sha256 mismatch (stored bytes hash to ${actual.slice(0, 16)})`;
    }
    await this.remove(key);
    return { outcome: 'dropped', reason };
  }

  /** True when stored for later sessions, false when held in memory only. */
  async writeFile(sha256: string, bytes: ArrayBuffer): Promise<boolean> {
    const entry: FileEntry = {
      formatVersion: CACHE_FORMAT_VERSION,
      kind: 'file',
      sha256: sha256.toLowerCase(),
      bytes,
      storedAt: Date.now(),
    };
    return this.write(fileKey(sha256), entry);
  }

  /**
   * A stored part, unverified: parts carry their own checksums (CRC-32 in the index head and the
   * catalog index) and the reader drops them with deletePart when they fail.
   */
  async readPart(scope: string, name: string): Promise<Uint8Array | undefined> {
    const raw = await this.read(partKey(scope, name));
    if (raw === undefined) return undefined;
    const e = raw as Partial<PartEntry>;
    if (e.kind === 'part' && e.formatVersion === CACHE_FORMAT_VERSION && e.bytes instanceof ArrayBuffer)
      return new Uint8Array(e.bytes);
    await this.remove(partKey(scope, name));
    return undefined;
  }

  async writePart(scope: string, name: string, bytes: Uint8Array): Promise<boolean> {
    return this.write(partKey(scope, name), partEntry(bytes));
  }

  /** Names of the parts stored for `scope`, so callers can skip reads that would miss. */
  async partNames(scope: string): Promise<Set<string>> {
    const prefix = partKey(scope, '');
    const names = new Set<string>();
    for (const k of this.memory.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length));
    if (this.store) {
      try {
        for (const k of await this.store.keys())
          if (typeof k === 'string' && k.startsWith(prefix)) names.add(k.slice(prefix.length));
      } catch (err) {
        this.fallBackToMemory(err);
      }
    }
    return names;
  }

  /** readPart for many parts in one IndexedDB transaction. */
  async readParts(scope: string, names: string[]): Promise<(Uint8Array | undefined)[]> {
    const store = this.store;
    if (store?.getMany === undefined) return Promise.all(names.map((n) => this.readPart(scope, n)));
    const keyList = names.map((n) => partKey(scope, n));
    let raw: unknown[];
    try {
      raw = await store.getMany(keyList);
    } catch {
      // One unreadable part fails the whole transaction: read them one by one, so that only the parts
      // that cannot be read are dropped (and a dead database is found out on the first of them).
      return Promise.all(names.map((n) => this.readPart(scope, n)));
    }
    return raw.map((v, i) => {
      const e = (v ?? this.memory.get(keyList[i])) as Partial<PartEntry> | undefined;
      return e?.kind === 'part' && e.formatVersion === CACHE_FORMAT_VERSION && e.bytes instanceof ArrayBuffer
        ? new Uint8Array(e.bytes)
        : undefined;
    });
  }

  /** writePart for many parts in one IndexedDB transaction. */
  async writeParts(scope: string, parts: [string, Uint8Array][]): Promise<void> {
    const entries = parts.map(([n, b]): [string, Entry] => [partKey(scope, n), partEntry(b)]);
    if (this.store?.setMany !== undefined) {
      try {
        await this.store.setMany(entries);
        for (const [key] of entries) this.kept(key);
        return;
      } catch (err) {
        // Full: store them one by one, so those that fit are kept.
        if (!isQuotaError(err)) this.fallBackToMemory(err);
      }
    }
    for (const [key, entry] of entries) await this.write(key, entry);
  }

  deletePart(scope: string, name: string): Promise<void> {
    return this.remove(partKey(scope, name));
  }

  /** The manifest text last stored for this data URL, for offline starts. */
  async readManifest(dataUrl: string): Promise<string | null> {
    const key = manifestKey(dataUrl);
    const raw = await this.read(key);
    if (raw === undefined) return null;
    if (!isManifestEntry(raw) || raw.formatVersion !== CACHE_FORMAT_VERSION || raw.dataUrl !== dataUrl) {
      await this.remove(key);
      return null;
    }
    return raw.text;
  }

  /**
   * Makes this the data URL's stored build (its manifest, for offline starts, and what it uses), then
   * deletes the files and parts no data URL's stored build uses: earlier builds', not those of another
   * site on the same origin (GitHub Pages project sites, several prefixes of one S3 bucket), which share
   * this database. Called once the build has loaded, so an interrupted load leaves the last whole build.
   * (A build another tab is loading at this moment is not kept yet: files it stored may go, and are then
   * downloaded again when asked for.)
   */
  async keepBuild(dataUrl: string, text: string, uses: BuildUses): Promise<void> {
    const entry: ManifestEntry = {
      formatVersion: CACHE_FORMAT_VERSION,
      kind: 'manifest',
      dataUrl,
      text,
      uses: { files: uses.files.map((f) => f.toLowerCase()), partScope: uses.partScope },
      storedAt: Date.now(),
    };
    await this.write(manifestKey(dataUrl), entry);
    const all = await this.allKeys();
    const files = new Set<string>();
    const partPrefixes: string[] = [];
    for (const k of all) {
      if (!k.startsWith('manifest:')) continue;
      const stored = k === manifestKey(dataUrl) ? entry : await this.read(k);
      if (!isManifestEntry(stored) || stored.uses === undefined) continue;
      for (const f of stored.uses.files) files.add(fileKey(f));
      if (stored.uses.partScope !== null) partPrefixes.push(partKey(stored.uses.partScope, ''));
    }
    for (const k of all) {
      if (k.startsWith('file:') && !files.has(k)) await this.remove(k);
      if (k.startsWith('part:') && !partPrefixes.some((p) => k.startsWith(p))) await this.remove(k);
    }
  }

  private async allKeys(): Promise<Set<string>> {
    const all = new Set<string>(this.memory.keys());
    if (this.store) {
      try {
        for (const k of await this.store.keys()) if (typeof k === 'string') all.add(k);
      } catch (err) {
        this.fallBackToMemory(err);
      }
    }
    return all;
  }

  /**
   * Tries again to store the entries the store refused for quota, smallest first, while they fit in
   * `freeBytes` (what the browser says is left, or null when it cannot say). Space comes free when a
   * failed offline setup drops its partial app-shell cache, or an older build's files go: what was
   * refused during a first visit's race for the quota is then kept after all. True when any was stored.
   */
  async storeUnkept(freeBytes: number | null): Promise<boolean> {
    if (!this.store) return false;
    const waiting = [...this.unkept]
      .map((key) => ({ key, entry: this.memory.get(key) }))
      .filter((w): w is { key: string; entry: Entry } => w.entry !== undefined)
      .sort((a, b) => entrySize(a.entry) - entrySize(b.entry));
    let left = freeBytes ?? Infinity;
    let stored = false;
    for (const { key, entry } of waiting) {
      if (entrySize(entry) > left || !(await this.write(key, entry))) break;
      left -= entrySize(entry);
      stored = true;
    }
    return stored;
  }

  private async read(key: string): Promise<unknown> {
    if (this.memory.has(key)) return this.memory.get(key);
    const store = this.store;
    if (!store) return undefined;
    try {
      return await store.get(key);
    } catch (err) {
      return this.unreadable(store, key, err);
    }
  }

  /**
   * A record that cannot be read back is as good as missing, but only a dead database means memory from
   * now on. Chromium throws NotReadableError ("Data lost due to missing file") for a large value whose
   * blob file is gone (a cleaned or damaged profile), and DataCloneError for one it cannot deserialise:
   * the database still works, and falling back to memory would leave that record in place, so every later
   * visit would fail on it again and keep nothing (downloading the index and the model each time, offline
   * use lost for good). The record is deleted instead, so the caller downloads the file again and stores
   * it anew; when even the delete fails, the database itself is broken.
   */
  private async unreadable(store: KeyValueBackend, key: string, err: unknown): Promise<undefined> {
    try {
      await store.del(key);
    } catch {
      this.fallBackToMemory(err);
      return undefined;
    }
    console.warn(`IndexedDB entry ${key} could not be read (${describe(err)}); dropped`);
    return undefined;
  }

  /** True when stored for later sessions; false when the entry is held in memory only. */
  private async write(key: string, entry: Entry): Promise<boolean> {
    if (this.store) {
      try {
        await this.store.set(key, entry);
        this.kept(key);
        return true;
      } catch (err) {
        if (isQuotaError(err)) {
          // Only this entry does not fit: later, smaller ones may, and what is stored stays readable.
          this.unkept.add(key);
          this.unkeptReason = 'storage quota exceeded';
        } else {
          this.fallBackToMemory(err);
        }
      }
    }
    this.memory.set(key, entry, entrySize(entry), entry.kind === 'manifest');
    return false;
  }

  private kept(key: string): void {
    this.memory.delete(key);
    this.unkept.delete(key);
  }

  private async remove(key: string): Promise<void> {
    this.memory.delete(key);
    this.unkept.delete(key);
    if (!this.store) return;
    try {
      await this.store.del(key);
    } catch (err) {
      this.fallBackToMemory(err);
    }
  }

  private fallBackToMemory(err: unknown): void {
    this.fallbackReason = isQuotaError(err)
      ? 'storage quota exceeded'
      : `IndexedDB failed (${describe(err)})`;
    this.store = null;
  }
}

function entrySize(entry: Entry): number {
  return entry.kind === 'manifest' ? entry.text.length * 2 : entry.bytes.byteLength;
}

function isQuotaError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'QuotaExceededError';
}
