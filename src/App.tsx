import { useCallback, useEffect, useMemo, useReducer, useSyncExternalStore } from 'react';
import type { SimilarityLabel } from '../core/calibration';
import type { LoadProgress } from '../workers/searchApi';
import { albumNamer, AlbumNames } from './catalog/albumNames';
import { useCatalogItem } from './catalog/useCatalogItem';
import { DismissibleAlert } from './common/DismissibleAlert';
import { ErrorPanel } from './common/ErrorPanel';
import { AppHeader } from './header/AppHeader';
import { LoadProgressList } from './header/LoadProgressList';
import { StatusLine } from './header/StatusLine';
import { statusNotices } from './header/statusNotices';
import { applyProgress } from './loading/loadProgressState';
import { PageSkeleton } from './loading/PageSkeleton';
import { useSearchIndex } from './loading/useSearchIndex';
import { useWorkerStatus } from './loading/useWorkerStatus';
import { getOfflineStatus, subscribeOfflineStatus } from './offlineSupport';
import { getSiteUpdateStatus, subscribeSiteUpdate } from './siteUpdate';
import { DropOverlay } from './ownImage/DropOverlay';
import { OwnImageControls } from './ownImage/OwnImageControls';
import { useClipboardImage } from './ownImage/useClipboardImage';
import { useLastUpload } from './ownImage/useLastUpload';
import { useOwnImagePicker } from './ownImage/useOwnImagePicker';
import { useWindowImageDrop } from './ownImage/useWindowImageDrop';
import { PageForRoute } from './PageForRoute';
import { pageTitle } from './routing/pageTitle';
import {
  DEFAULT_CUT_OFF,
  DEFAULT_STRICTNESS,
  formatHash,
  withCutOff,
  withK,
  withRegion,
  withStrictness,
} from './routing/route';
import { chooseK } from './routing/chosenK';
import { replaceHash, useHashRoute } from './routing/useHashRoute';
import { useFocusOnNavigation } from './routing/useFocusOnNavigation';
import { useScrollRestoration } from './routing/useScrollRestoration';

export function App() {
  const route = useHashRoute();
  // dispatch is stable, so hooks that take it as their progress callback do not re-run.
  const [progress, reportProgress] = useReducer(applyProgress, {});
  const index = useSearchIndex(reportProgress);
  const ready = index.state.status === 'ready' ? index.state : null;
  const albums = ready?.info.albums;
  const albumName = useMemo(() => albumNamer(albums ?? []), [albums]);
  const worker = useWorkerStatus(ready !== null, reportProgress);
  const offline = useSyncExternalStore(subscribeOfflineStatus, getOfflineStatus);
  const siteUpdate = useSyncExternalStore(subscribeSiteUpdate, getSiteUpdateStatus);
  const upload = useLastUpload();
  const picker = useOwnImagePicker(route.k);
  const queryItem = useCatalogItem(
    route.page === 'search' && route.query.kind === 'id' ? route.query.id : null,
    ready ? ready.info : null,
  );

  const refreshWorkerStatus = worker.refresh;
  const onSearchProgress = useCallback(
    (p: LoadProgress) => {
      reportProgress(p);
      // The model may have come up (or been retried) during an own-image search.
      if (p.stage === 'runtime' && p.done) refreshWorkerStatus();
    },
    [refreshWorkerStatus],
  );

  // A failed offline setup lets go of the room its app shell took: what the worker could not keep may now
  // be stored, and the status line should say so.
  const offlineFailed = offline.state === 'failed';
  useEffect(() => {
    if (offlineFailed) refreshWorkerStatus();
  }, [offlineFailed, refreshWorkerStatus]);

  const { pick } = picker;
  const onFile = useCallback((file: File) => void pick(file, file.name || 'Pasted image'), [pick]);
  const dragging = useWindowImageDrop(onFile);
  useClipboardImage(onFile);

  // Remembered as well as written to the URL: Back and Forward then keep it (src/routing/chosenK.ts).
  const onKChange = useCallback(
    (k: number) => {
      chooseK(k);
      replaceHash(formatHash(withK(route, k)));
    },
    [route],
  );
  const onCutOffChange = useCallback(
    (cutOff: SimilarityLabel) => replaceHash(formatHash(withCutOff(route, cutOff))),
    [route],
  );

  // k, the cut-off and the duplicates' strictness refine the same page: changing them neither moves
  // focus nor resets the scroll.
  // So does the region searched (its own history entry, but focus stays on the region control).
  const pageKey = formatHash(
    withRegion(withStrictness(withCutOff(withK(route, 1), DEFAULT_CUT_OFF), DEFAULT_STRICTNESS), null),
  );
  useScrollRestoration(pageKey);
  useFocusOnNavigation(pageKey, 'main');
  useEffect(() => {
    const itemName =
      queryItem.status === 'found' && !queryItem.stale
        ? queryItem.item.name
        : queryItem.status === 'missing'
          ? null
          : undefined;
    const hasAlbum = albums && ((album: string) => albums.some((a) => a.name === album));
    document.title = pageTitle(route, { itemName, hasAlbum, albumName });
  }, [route, queryItem, albums, albumName]);

  const notices = statusNotices({
    imageCount: ready ? ready.info.count : null,
    fromCache: ready ? ready.info.fromCache : false,
    dataUpdated: index.updates > 0,
    worker: worker.status,
    offline,
    siteUpdate,
  });

  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          // The hash is the router's: move focus without navigating.
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <AppHeader
        k={route.k}
        page={route.page}
        search={<OwnImageControls onImage={(blob, name) => void pick(blob, name)} busy={picker.decoding} />}
        progress={<LoadProgressList progress={progress} />}
      />
      <StatusLine notices={notices} />
      <main id="main" tabIndex={-1}>
        {picker.error && picker.error.hash === window.location.hash && (
          <DismissibleAlert
            message={picker.error.message}
            onDismiss={picker.dismissError}
            testId="image-error"
            fallbackFocusId="main"
          />
        )}
        {index.state.status === 'failed' && siteUpdate.state !== 'reloading' ? (
          <ErrorPanel
            title="The collection could not be loaded"
            message={index.state.message}
            testId="index-error"
            headingLevel={1}
          >
            <button type="button" className="button button-primary" onClick={index.retry}>
              Try again
            </button>
          </ErrorPanel>
        ) : ready ? (
          <AlbumNames.Provider value={albumName}>
            <PageForRoute
              // A new build of the data dir: every page asks the worker again (items, searches).
              key={index.updates}
              route={route}
              collection={ready.info}
              queryItem={queryItem}
              upload={upload}
              onKChange={onKChange}
              onCutOffChange={onCutOffChange}
              onProgress={onSearchProgress}
            />
          </AlbumNames.Provider>
        ) : (
          <PageSkeleton page={route.page} />
        )}
      </main>
      {dragging && <DropOverlay />}
    </>
  );
}
