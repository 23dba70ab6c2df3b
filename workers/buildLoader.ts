import { errorMessage } from '../core/errorMessage';
import { isNewerFormatError } from '../core/formatVersion';
import { DataCache } from './dataCache';
import { LoadedBuild } from './loadedBuild';
import { fetchManifestText, loadManifest } from './manifestFile';
import { openCachedCollection } from './openCachedCollection';
import type { ReportProgress } from './progressThrottle';
import type { LoadInfo } from './searchApi';
import { isMissingFile, isUnreachable } from './verifiedFile';

function normaliseDataUrl(dataUrl: string): string {
  const url = new URL(dataUrl, self.location.href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** The manifest a load read, and whether it came from the network. */
interface Seen {
  text?: string;
  fromNetwork?: boolean;
}

/**
 * Loads a data dir's current build (manifest, then its collection, verified and kept in IndexedDB) and
 * holds it. A data dir keeps only the current and the previous build's files, so when a file the held
 * build needs is gone, the loader re-reads the manifest and switches to the build that replaced it.
 */
export class BuildLoader {
  private cachePromise: Promise<DataCache> | null = null;
  private build: LoadedBuild | null = null;
  private loading: { dataUrl: string; promise: Promise<LoadInfo> } | null = null;
  /** A running re-read of the manifest after a missing file (one at a time). */
  private updating: Promise<void> | null = null;
  /** The page's listener for builds this loader switched to by itself. */
  private switchedByItself: ((info: LoadInfo) => void) | null = null;

  /** `beforeSwitch` sees each newly loaded build just before it replaces the held one. */
  constructor(private readonly beforeSwitch: (next: LoadedBuild) => void = () => {}) {}

  /** The IndexedDB store of data files, opened once. */
  cache(): Promise<DataCache> {
    this.cachePromise ??= DataCache.open();
    return this.cachePromise;
  }

  /** The build searched now, or null before the first load. */
  get loaded(): LoadedBuild | null {
    return this.build;
  }

  /** The build searched now; throws before the first load. */
  get current(): LoadedBuild {
    if (!this.build) throw new Error('no collection loaded: call load() first');
    return this.build;
  }

  /** Loads the data dir's current build; a second call for the same dir while one runs shares it. */
  async load(dataUrl: string, report: ReportProgress): Promise<LoadInfo> {
    const url = normaliseDataUrl(dataUrl);
    if (this.loading && this.loading.dataUrl === url) return this.loading.promise;
    const promise = this.loadData(url, report, true);
    const entry = { dataUrl: url, promise };
    this.loading = entry;
    try {
      return await promise;
    } finally {
      if (this.loading === entry) this.loading = null;
    }
  }

  /** `onSwitch` is called with the new LoadInfo whenever the loader switches build by itself (one listener). */
  onSwitchedByItself(onSwitch: (info: LoadInfo) => void): void {
    this.switchedByItself = onSwitch;
  }

  /**
   * Runs `run` on the current build; if a data file it needs is gone because the data dir was rebuilt, runs
   * it once more on the new build instead of asking again for the deleted file.
   */
  async withCurrentBuild<T>(run: (current: LoadedBuild) => Promise<T>): Promise<T> {
    const current = this.current;
    try {
      return await run(current);
    } catch (err) {
      if (!isMissingFile(err) || !(await this.switchIfUpdated(current))) throw err;
      return run(this.current);
    }
  }

  /** Re-reads the manifest; the new build's LoadInfo when it names another build, else null. */
  async checkForUpdate(): Promise<LoadInfo | null> {
    const current = this.build;
    if (current === null) return null;
    return (await this.switchIfUpdated(current)) && this.build !== null ? this.build.info : null;
  }

  /** `orStored`: when the network's manifest came but its build did not, the build stored here will do. */
  private async loadData(dataUrl: string, report: ReportProgress, orStored: boolean): Promise<LoadInfo> {
    const seen: Seen = {};
    try {
      return await this.loadBuild(dataUrl, report, seen);
    } catch (err) {
      if (orStored && isUnreachable(err) && seen.fromNetwork === true) {
        const cache = await this.cache();
        const stored = await cache.readManifest(dataUrl);
        if (stored === null || stored === seen.text) throw err;
        return this.loadBuild(dataUrl, report, {}, true);
      }
      // A new build replaced the manifest just read (and, two builds on, deleted its files): load that one.
      if (!isMissingFile(err) || seen.text === undefined) throw err;
      const now = await fetchManifestText(dataUrl);
      if (now === null || now === seen.text) throw err;
      return this.loadBuild(dataUrl, report, {});
    }
  }

  private async loadBuild(
    dataUrl: string,
    report: ReportProgress,
    seen: Seen,
    stored = false,
  ): Promise<LoadInfo> {
    const cache = await this.cache();
    const loaded = await loadManifest(dataUrl, cache, report, stored);
    const { manifest, text, fetchedBytes: manifestBytes } = loaded;
    seen.text = text;
    seen.fromNetwork = !loaded.fromCache;
    const opened = await openCachedCollection(dataUrl, manifest, cache, report);
    // Only now is it this data URL's stored build, and earlier builds' files go.
    await cache.keepBuild(dataUrl, text, opened.uses);
    const { collection } = opened;
    const info: LoadInfo = {
      count: collection.count,
      modelId: collection.modelId,
      layout: collection.layout,
      albums: collection.albums,
      fromCache: opened.fromCache,
      fetchedBytes: manifestBytes + opened.fetchedBytes,
      calibration: manifest.calibration ?? null,
      duplicates: manifest.duplicates?.groups ?? null,
    };
    const build = new LoadedBuild(dataUrl, text, manifest, collection, info, cache);
    this.beforeSwitch(build);
    this.build = build;
    return info;
  }

  /**
   * After a missing file: re-reads manifest.json past every cache and, if it names another build than
   * `seen`, loads that one (and tells the page). True when the loader now holds another build than `seen`.
   */
  private async switchIfUpdated(seen: LoadedBuild): Promise<boolean> {
    if (this.build !== seen) return true;
    if (this.updating === null) {
      const entry = (async () => {
        const text = await fetchManifestText(seen.dataUrl);
        if (text === null || text === seen.manifestText || this.build !== seen) return;
        const info = await this.loadData(seen.dataUrl, () => {}, false);
        const listener = this.switchedByItself;
        if (listener) void Promise.resolve(listener(info)).catch(() => {});
      })();
      this.updating = entry;
      const done = () => {
        if (this.updating === entry) this.updating = null;
      };
      void entry.then(done, done);
    }
    await this.updating.catch((err: unknown) => {
      // A new build in a format this app does not read: the page must load the site's newer app.
      if (isNewerFormatError(err)) throw err;
      console.warn(`cannot switch to the new build: ${errorMessage(err)}`);
    });
    return this.build !== seen;
  }
}
