import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';

const MAGIC = 'LKEMBED1';
const KEY_BYTES = 16;

/**
 * Embeddings by image content hash, for one model, in one append-only file:
 * header (magic, dim, model id) then fixed-size records (16-byte hash prefix, dim float32).
 * Appending per batch means a killed build keeps what it featurized; a torn last record is dropped on load.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();
  private pending: Buffer[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly modelId: string,
    readonly dim: number,
  ) {}

  /** Opens (or starts) the cache file. A file for another model or dim, or an unreadable one, is started afresh. */
  static async open(file: string, modelId: string, dim: number): Promise<EmbeddingCache> {
    const cache = new EmbeddingCache(file, modelId, dim);
    await mkdir(dirname(file), { recursive: true });
    const header = cache.header();
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (
      bytes === undefined ||
      bytes.length < header.length ||
      !bytes.subarray(0, header.length).equals(header)
    ) {
      const fh = await open(file, 'w');
      await fh.writeFile(header);
      await fh.close();
      return cache;
    }
    const recordBytes = KEY_BYTES + 4 * dim;
    const whole = Math.floor((bytes.length - header.length) / recordBytes);
    for (let i = 0; i < whole; i++) {
      const at = header.length + i * recordBytes;
      const key = bytes.toString('hex', at, at + KEY_BYTES);
      // Copy: the file buffer is not 4-byte aligned and should not stay alive.
      const vec = new Float32Array(dim);
      new Uint8Array(vec.buffer).set(bytes.subarray(at + KEY_BYTES, at + recordBytes));
      cache.entries.set(key, vec);
    }
    const valid = header.length + whole * recordBytes;
    if (valid !== bytes.length) await truncate(file, valid);
    return cache;
  }

  get size(): number {
    return this.entries.size;
  }

  get(contentHash: string): Float32Array | undefined {
    return this.entries.get(contentHash.slice(0, 2 * KEY_BYTES));
  }

  /** Remembers an embedding; it reaches the file on the next flush(). */
  set(contentHash: string, embedding: Float32Array): void {
    if (embedding.length !== this.dim) {
      throw new Error(`embedding has ${embedding.length} values, the cache holds ${this.dim}`);
    }
    const key = contentHash.slice(0, 2 * KEY_BYTES);
    if (!/^[0-9a-f]{32}$/.test(key)) throw new Error(`content hash must be hex, got ${contentHash}`);
    if (this.entries.has(key)) return;
    const copy = Float32Array.from(embedding);
    this.entries.set(key, copy);
    const record = Buffer.alloc(KEY_BYTES + 4 * this.dim);
    record.write(key, 0, 'hex');
    Buffer.from(copy.buffer).copy(record, KEY_BYTES);
    this.pending.push(record);
  }

  /** Appends what set() remembered. Safe to call concurrently: appends happen one after another. */
  flush(): Promise<void> {
    if (this.pending.length === 0) return this.writing;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    this.writing = this.writing.then(async () => {
      const fh = await open(this.file, 'a');
      try {
        await fh.writeFile(chunk);
      } finally {
        await fh.close();
      }
    });
    return this.writing;
  }

  private header(): Buffer {
    const id = Buffer.from(this.modelId, 'utf8');
    const h = Buffer.alloc(MAGIC.length + 8 + id.length);
    h.write(MAGIC, 0, 'latin1');
    h.writeUInt32LE(this.dim, MAGIC.length);
    h.writeUInt32LE(id.length, MAGIC.length + 4);
    id.copy(h, MAGIC.length + 8);
    return h;
  }
}
