import type { LoadProgress } from '../workers/searchApi';
import { AlbumPage } from './album/AlbumPage';
import { AlbumListPage } from './albums/AlbumListPage';
import type { CatalogView } from './catalog/catalogView';
import { ErrorPanel } from './common/ErrorPanel';
import type { LastUpload } from './ownImage/lastUpload';
import { homeHref, type Route } from './routing/route';
import { ImageSearchPage } from './search/ImageSearchPage';
import { UploadSearchPage } from './search/UploadSearchPage';

interface PageForRouteProps {
  route: Route;
  view: CatalogView;
  upload: LastUpload | null;
  onKChange: (k: number) => void;
  onProgress: (p: LoadProgress) => void;
}

/** The page a URL names, once the collection has loaded. */
export function PageForRoute({ route, view, upload, onKChange, onProgress }: PageForRouteProps) {
  switch (route.page) {
    case 'home':
      return <AlbumListPage view={view} k={route.k} />;
    case 'album':
      return <AlbumPage album={route.album} k={route.k} view={view} onKChange={onKChange} />;
    case 'search':
      return route.query.kind === 'id' ? (
        <ImageSearchPage
          id={route.query.id}
          k={route.k}
          view={view}
          onKChange={onKChange}
          onProgress={onProgress}
        />
      ) : (
        <UploadSearchPage
          upload={upload}
          k={route.k}
          view={view}
          onKChange={onKChange}
          onProgress={onProgress}
        />
      );
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
