/**
 * The entries a DataCache holds in memory (IndexedDB missing or broken, or an entry over the quota),
 * within `maxBytes`: the least recently used go first. Unbounded, a session without storage kept every
 * file and part it ever read (a long browse of a sharded million-image build: each query's cells, on top
 * of the copies its reader keeps), and the tab grew until the browser killed it. What goes is only
 * downloaded again when asked for. Pinned entries (manifests: small, and what decides which files a
 * build keeps) never go and count towards the total.
 */
export class MemoryEntries<V> {
  private readonly entries = new Map<string, { value: V; bytes: number; pinned: boolean }>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value, now the most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Holds `value` as the most recently used, dropping the least recently used unpinned entries until the
   * total fits. False when it is not held: an unpinned value larger than `maxBytes` on its own.
   */
  set(key: string, value: V, bytes: number, pinned = false): boolean {
    this.delete(key);
    if (!pinned && bytes > this.maxBytes) return false;
    this.entries.set(key, { value, bytes, pinned });
    this.total += bytes;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxBytes) break;
      if (e.pinned || k === key) continue;
      this.delete(k);
    }
    return true;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }
}
