/*
 * Reads parts of a file, as a header parser walks it: a window of the file is kept, and each read outside
 * it reads a new window there (Blob.slice), so a parser can skip megabytes of metadata to the header it
 * needs without reading them, nor read the file a few bytes at a time.
 */

/** Bytes read at each place outside the window: a whole header, most often. */
const WINDOW_BYTES = 16 * 1024;

export class BlobReader {
  private windowStart = 0;
  private window = new Uint8Array(0);

  constructor(private readonly blob: Blob) {}

  get size(): number {
    return this.blob.size;
  }

  /** `length` bytes from `offset`, or fewer where the file ends. */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, this.blob.size);
    if (offset >= end) return new Uint8Array(0);
    if (offset < this.windowStart || end > this.windowStart + this.window.length) {
      const windowEnd = Math.max(end, offset + WINDOW_BYTES);
      this.window = new Uint8Array(await this.blob.slice(offset, windowEnd).arrayBuffer());
      this.windowStart = offset;
    }
    return this.window.subarray(offset - this.windowStart, end - this.windowStart);
  }
}
