import type { LoadInfo, LoadProgress } from '../workers/searchApi';
import { AlbumPage } from './album/AlbumPage';
import { AlbumListPage } from './albums/AlbumListPage';
import type { ItemLookup } from './catalog/useCatalogItem';
import { ErrorPanel } from './common/ErrorPanel';
import type { LastUpload } from './ownImage/lastUpload';
import type { SimilarityLabel } from '../core/calibration';
import { DEFAULT_CUT_OFF, homeHref, type Route } from './routing/route';
import { ImageSearchPage } from './search/ImageSearchPage';
import { UploadSearchPage } from './search/UploadSearchPage';

interface PageForRouteProps {
  route: Route;
  collection: LoadInfo;
  /** The image a `#/search/<id>` route names, looked up by the app (the page title needs it too). */
  queryItem: ItemLookup;
  upload: LastUpload | null;
  onKChange: (k: number) => void;
  onCutOffChange: (cutOff: SimilarityLabel) => void;
  onProgress: (p: LoadProgress) => void;
}

/** The page a URL names, once the collection has loaded. */
export function PageForRoute({
  route,
  collection,
  queryItem,
  upload,
  onKChange,
  onCutOffChange,
  onProgress,
}: PageForRouteProps) {
  switch (route.page) {
    case 'home':
      return <AlbumListPage albums={collection.albums} count={collection.count} k={route.k} />;
    case 'album':
      return <AlbumPage album={route.album} k={route.k} albums={collection.albums} onKChange={onKChange} />;
    case 'search': {
      const cutOff = {
        calibration: collection.calibration,
        cutOff: route.cutOff ?? DEFAULT_CUT_OFF,
        onChange: onCutOffChange,
      };
      return route.query.kind === 'id' ? (
        <ImageSearchPage
          id={route.query.id}
          lookup={queryItem}
          k={route.k}
          onKChange={onKChange}
          cutOff={cutOff}
          onProgress={onProgress}
        />
      ) : (
        <UploadSearchPage
          upload={upload}
          k={route.k}
          onKChange={onKChange}
          cutOff={cutOff}
          onProgress={onProgress}
        />
      );
    }
    case 'notFound':
      return (
        <ErrorPanel
          title="Page not found"
          message={`There is no page at “${route.path}”.`}
          testId="page-not-found"
        >
          <a className="button" href={homeHref(route.k)}>
            Browse the albums
          </a>
        </ErrorPanel>
      );
  }
}
