import type { StorageStatus, WorkerStatus } from '../../workers/searchApi';
import { formatBytes } from '../../core/formatBytes';
import type { OfflineStatus } from '../offlineSupport';
import type { SiteUpdateStatus } from '../siteUpdate';

export interface StatusNotice {
  id:
    | 'ready'
    | 'offline-needs-https'
    | 'offline-failed'
    | 'storage-short'
    | 'model-failed'
    | 'index-failed'
    | 'data-updated'
    | 'site-updated'
    | 'site-outdated';
  tone: 'info' | 'warning' | 'error';
  text: string;
}

export interface StatusInputs {
  /** Number of images once the index has loaded, else null. */
  imageCount: number | null;
  fromCache: boolean;
  /** The data dir was rebuilt while the tab was open and the app switched to the new build. */
  dataUpdated: boolean;
  worker: WorkerStatus | null;
  offline: OfflineStatus;
  siteUpdate: SiteUpdateStatus;
}

const countFormat = new Intl.NumberFormat('en');

function runtimeText(worker: WorkerStatus | null): string {
  if (!worker?.executionProvider) return '';
  if (worker.executionProvider === 'webgpu') return ' · model on WebGPU';
  const threads = `${worker.threads} ${worker.threads === 1 ? 'thread' : 'threads'}`;
  const fallback = worker.webGpuError === null ? '' : '; WebGPU failed';
  return ` · model on WebAssembly (${threads}${fallback})`;
}

const NOT_KEPT_TEXT: Record<StorageStatus['notKept'][number], string> = {
  collection: 'the collection is not kept and downloads again on your next visit',
  model: 'the model is not kept and downloads again for your next own-image search',
};

/** Which features storage pressure costs; offline use has its own notice (offline-failed). */
function storageNotice(storage: StorageStatus | undefined): StatusNotice | null {
  if (!storage || storage.notKept.length === 0) return null;
  const free = storage.freeBytes === null ? '' : `, ${formatBytes(storage.freeBytes)} free for this site`;
  const lost = storage.notKept.map((f) => NOT_KEPT_TEXT[f]).join('; ');
  return {
    id: 'storage-short',
    tone: 'warning',
    text: `Browser storage is short (${storage.reason ?? 'not available'}${free}): ${lost}. Search works while you are online.`,
  };
}

/** What the status line says, most important first. */
export function statusNotices(s: StatusInputs): StatusNotice[] {
  // The page is about to reload into the site's newer app: what failed here is that app's to do.
  if (s.siteUpdate.state === 'reloading')
    return [{ id: 'site-updated', tone: 'info', text: 'This site was updated: loading its new version…' }];
  const notices: StatusNotice[] = [];
  if (s.siteUpdate.state === 'app-older-than-data') {
    notices.push({
      id: 'site-outdated',
      tone: 'error',
      text: `This site's app is older than its collection and cannot read all of it (${s.siteUpdate.message}), also after a reload: the site should be deployed again with the app of the Lookalike that built the collection.`,
    });
  }
  if (s.worker?.model === 'failed') {
    notices.push({
      id: 'model-failed',
      tone: 'error',
      text: `Searching with your own image is unavailable: the model failed to load (${s.worker.modelError ?? 'unknown error'}). Album search still works.`,
    });
  }
  if (s.worker?.indexError && s.worker.model !== 'failed') {
    notices.push({
      id: 'index-failed',
      tone: 'error',
      text: `Searching with your own image is unavailable: the index failed to load (${s.worker.indexError}). Album search still works.`,
    });
  }
  if (s.dataUpdated) {
    notices.push({
      id: 'data-updated',
      tone: 'info',
      text: 'The collection was updated — showing the new version.',
    });
  }
  const storage = storageNotice(s.worker?.storage);
  if (storage) notices.push(storage);
  if (s.offline.state === 'unavailable' && s.offline.reason === 'insecure-context') {
    notices.push({
      id: 'offline-needs-https',
      tone: 'warning',
      text: 'Offline use needs the HTTPS address of this site: over plain HTTP the browser will not keep the app for offline use.',
    });
  }
  if (s.offline.state === 'failed') {
    notices.push({
      id: 'offline-failed',
      tone: 'warning',
      text: `Offline use could not be set up (${s.offline.message}); the app works while you are online.`,
    });
  }
  if (s.imageCount !== null) {
    // The app shell is stored (the service worker) and so are the albums and their results (the
    // preload's read-ahead, kept: storage may have refused it). Before both, going offline would leave
    // albums that cannot open.
    const offline =
      s.offline.state === 'ready' &&
      s.worker?.browseDataStored === true &&
      !s.worker.storage.notKept.includes('collection')
        ? ' · works offline'
        : '';
    const cache = s.fromCache ? ' · loaded from this browser’s cache' : '';
    notices.push({
      id: 'ready',
      tone: 'info',
      text: `${countFormat.format(s.imageCount)} images, searched on this device${cache}${offline}${runtimeText(s.worker)}`,
    });
  }
  return notices;
}
