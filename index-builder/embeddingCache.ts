import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, truncate, unlink, writeFile } from 'node:fs/promises';
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
    // Read so that every record's vector starts 4-byte aligned in memory, and the entries can be views
    // into the one buffer: copying each record out took as long as reading the file (100 MB: 0.5 s).
    const pad = (4 - ((header.length + KEY_BYTES) % 4)) % 4;
    let bytes = await readPadded(file, pad);
    if (bytes === undefined) {
      // Created whole, once: two builds starting together (they share the model's cache) must not
      // each start the file, the second wiping what the first appended.
      if (await createWith(file, header)) return cache;
      bytes = await readPadded(file, pad);
    }
    if (
      bytes === undefined ||
      bytes.length < header.length ||
      !bytes.subarray(0, header.length).equals(header)
    ) {
      // Another format or damaged: replaced by a fresh file in one rename.
      await rename(await writtenBeside(file, header), file);
      return cache;
    }
    const valid = readRecords(bytes, header.length, dim, cache.entries);
    if (valid !== bytes.length) await truncate(file, valid);
    return cache;
  }

  /**
   * The embeddings in a cache file, by hash prefix (32 hex), never writing to it: none when the file
   * is missing or holds another model's or dim's. For measurements that read what builds computed.
   */
  static async read(file: string, modelId: string, dim: number): Promise<ReadonlyMap<string, Float32Array>> {
    const entries = new Map<string, Float32Array>();
    const header = new EmbeddingCache(file, modelId, dim).header();
    const bytes = await readPadded(file, (4 - ((header.length + KEY_BYTES) % 4)) % 4);
    if (
      bytes !== undefined &&
      bytes.length >= header.length &&
      bytes.subarray(0, header.length).equals(header)
    )
      readRecords(bytes, header.length, dim, entries);
    return entries;
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
        // One write call per flush: appends of two processes then never interleave inside a record.
        // (FileHandle.writeFile writes 512 KiB at a time, and another build's flush landed between.)
        let written = 0;
        while (written < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, written, chunk.length - written);
          written += bytesWritten;
        }
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

/**
 * Adds the whole records after the header to `entries`, as views into `bytes` (aligned by the caller);
 * returns where the whole records end (a torn last record is left out).
 */
function readRecords(bytes: Buffer, start: number, dim: number, entries: Map<string, Float32Array>): number {
  const recordBytes = KEY_BYTES + 4 * dim;
  const whole = Math.floor((bytes.length - start) / recordBytes);
  for (let i = 0; i < whole; i++) {
    const at = start + i * recordBytes;
    const vector = new Float32Array(bytes.buffer, bytes.byteOffset + at + KEY_BYTES, dim);
    entries.set(bytes.toString('hex', at, at + KEY_BYTES), vector);
  }
  return start + whole * recordBytes;
}

/** A new file next to `file` (same filesystem, so it can be renamed or linked there) holding `bytes`. */
async function writtenBeside(file: string, bytes: Uint8Array): Promise<string> {
  const temp = `${file}.${randomBytes(6).toString('hex')}`;
  await writeFile(temp, bytes);
  return temp;
}

/** Creates `file` holding `bytes` unless it exists, whole (a link to a written file); whether it did. */
async function createWith(file: string, bytes: Uint8Array): Promise<boolean> {
  const temp = await writtenBeside(file, bytes);
  try {
    await link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp);
  }
}

/** The file's bytes after `pad` unused bytes of a fresh buffer (undefined when there is no file). */
async function readPadded(file: string, pad: number): Promise<Buffer | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    const bytes = Buffer.from(new ArrayBuffer(pad + size), pad, size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(bytes, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return bytes.subarray(0, got);
  } finally {
    await fh.close();
  }
}
