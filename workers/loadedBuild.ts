import { collectionDuplicates } from '../core/collectionDuplicates';
import type { Collection } from '../core/collection';
import type { DuplicateGroupsPage, DuplicateStrictness, DuplicatesReader } from '../core/duplicatesReader';
import type { FileRef, Manifest } from '../core/manifest';
import type { DataCache } from './dataCache';
import type { ModelSource } from './modelSession';
import type { ReportProgress } from './progressThrottle';
import type { LoadInfo, LoadStage } from './searchApi';
import { loadVerifiedFile } from './verifiedFile';

/** The data set the worker searches: everything a load verified and decoded, of one build of one data dir. */
export class LoadedBuild implements ModelSource {
  /** The duplicates file's reader, opened on the first duplicateGroups() call. */
  private duplicates?: Promise<DuplicatesReader | null>;

  constructor(
    readonly dataUrl: string,
    /** manifest.json as read: a different text names another build. */
    readonly manifestText: string,
    readonly manifest: Manifest,
    readonly collection: Collection,
    readonly info: LoadInfo,
    private readonly cache: DataCache,
  ) {}

  get model(): Manifest['model'] {
    return this.manifest.model;
  }

  /** One of this build's data files, verified against the manifest (and kept in IndexedDB). */
  private readFile(
    ref: FileRef,
    stage: LoadStage,
    report: ReportProgress,
  ): Promise<{ bytes: ArrayBuffer; fromCache: boolean }> {
    return loadVerifiedFile(this.dataUrl, ref, stage, this.cache, report);
  }

  async readModel(report: ReportProgress): Promise<ArrayBuffer> {
    return (await this.readFile(this.manifest.model.file, 'model', report)).bytes;
  }

  /** A page of duplicate groups; null when the build has no duplicates file (older builds). */
  async duplicateGroups(
    strictness: DuplicateStrictness,
    start: number,
    count: number,
  ): Promise<DuplicateGroupsPage | null> {
    if (this.duplicates === undefined) {
      const opened = this.openDuplicates();
      this.duplicates = opened;
      // A failed open (network, a damaged file) is retried on the next call.
      opened.catch(() => {
        if (this.duplicates === opened) this.duplicates = undefined;
      });
    }
    const reader = await this.duplicates;
    return reader === null ? null : reader.page(strictness, start, count);
  }

  /**
   * The duplicates file, downloaded and verified like every data file (kept in IndexedDB), read through
   * the collection; null when the build has none (older builds).
   */
  private async openDuplicates(): Promise<DuplicatesReader | null> {
    const ref = this.manifest.duplicates?.file;
    if (ref === undefined) return null;
    const { bytes } = await this.readFile(ref, 'catalog', () => {});
    return collectionDuplicates(new Uint8Array(bytes), ref.path, this.collection);
  }
}
