import { printable } from '../core/printableText';
import type { LoadInfo, LoadProgress } from '../workers/searchApi';
import { AlbumPage } from './albumPage/AlbumPage';
import { AlbumListPage } from './albumList/AlbumListPage';
import type { ItemLookup } from './catalog/useCatalogItem';
import { ErrorPanel } from './common/ErrorPanel';
import { DuplicatesPage } from './duplicates/DuplicatesPage';
import type { LastUpload } from './ownImage/lastUpload';
import type { SimilarityLabel } from '../core/calibration';
import type { ImageRegion } from '../core/imageRegion';
import {
  DEFAULT_CUT_OFF,
  formatHash,
  homeHref,
  withRegion,
  withStrictness,
  type Route,
} from './routing/route';
import { navigate, replaceHash } from './routing/useHashRoute';
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
      return (
        <AlbumListPage
          albums={collection.albums}
          count={collection.count}
          duplicates={collection.duplicates}
          k={route.k}
        />
      );
    case 'album':
      return (
        <AlbumPage
          album={route.album}
          part={route.part ?? 1}
          k={route.k}
          albums={collection.albums}
          onKChange={onKChange}
        />
      );
    case 'search': {
      const cutOff = {
        calibration: collection.calibration,
        cutOff: route.cutOff ?? DEFAULT_CUT_OFF,
        onChange: onCutOffChange,
      };
      // A new region is a new search: the back button returns to the previous one.
      const region = {
        region: route.region ?? null,
        onRegionChange: (r: ImageRegion | null) => navigate(formatHash(withRegion(route, r))),
      };
      return route.query.kind === 'id' ? (
        <ImageSearchPage
          id={route.query.id}
          lookup={queryItem}
          k={route.k}
          onKChange={onKChange}
          cutOff={cutOff}
          onProgress={onProgress}
          {...region}
        />
      ) : (
        <UploadSearchPage
          upload={upload}
          k={route.k}
          onKChange={onKChange}
          cutOff={cutOff}
          onProgress={onProgress}
          {...region}
        />
      );
    }
    case 'duplicates':
      return (
        <DuplicatesPage
          strictness={route.strictness}
          k={route.k}
          collection={collection}
          // Like k and the cut-off, strictness refines the page: the back button skips it.
          onStrictnessChange={(strictness) => replaceHash(formatHash(withStrictness(route, strictness)))}
        />
      );
    case 'notFound':
      return (
        <ErrorPanel
          title="Page not found"
          message={`There is no page at “${printable(route.path)}”.`}
          testId="page-not-found"
          headingLevel={1}
        >
          <a className="button" href={homeHref(route.k)}>
            Browse the albums
          </a>
        </ErrorPanel>
      );
  }
}
