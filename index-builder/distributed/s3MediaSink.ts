import type { MediaSink } from '../imagePipeline';
import type { WorkStore } from './workStore';

/**
 * A worker's sink for thumbnails and originals: objects under the build's media prefix, named as in
 * the data dir, for the coordinator to copy in. It knows only what this job stored, so a re-run job
 * uploads again (same names, same bytes) rather than asking S3 about every file.
 */
export class S3MediaSink implements MediaSink {
  private readonly stored = new Set<string>();

  constructor(
    private readonly store: WorkStore,
    private readonly keyPrefix: string,
  ) {}

  async has(name: string): Promise<boolean> {
    return this.stored.has(name);
  }

  async putContentAddressed(name: string, bytes: Uint8Array): Promise<boolean> {
    if (this.stored.has(name)) return false;
    this.stored.add(name);
    try {
      await this.store.put(this.keyPrefix + name, bytes);
    } catch (err) {
      this.stored.delete(name);
      throw err;
    }
    return true;
  }
}
