import { useAlbumName } from '../catalog/albumNames';
import { ThumbnailGrid } from './ThumbnailGrid';
import { useAlbumPages } from './useAlbumPages';

interface AlbumItemsGridProps {
  album: string;
  /** Position in the album of the grid's first image: a very large album is shown in parts. */
  start: number;
  count: number;
  k: number;
}

/** The album's thumbnail grid, fed page by page from the worker; a failed page can be tried again. */
export function AlbumItemsGrid({ album, start, count, k }: AlbumItemsGridProps) {
  const { pages, snapshot } = useAlbumPages(album, start, count);
  // The grid's accessible name: spelled out like the heading, never the raw name (a bidi override in it
  // would reorder what a screen reader announces).
  const albumName = useAlbumName();
  return (
    <>
      {snapshot.error !== null && (
        <div className="alert" role="alert" data-testid="album-items-error">
          <p>Some images of this album could not be loaded: {snapshot.error}</p>
          <button type="button" className="button" onClick={pages.retry}>
            Try again
          </button>
        </div>
      )}
      <ThumbnailGrid
        count={count}
        itemAt={snapshot.itemAt}
        onRendered={pages.request}
        k={k}
        label={`Images in ${albumName(album)}`}
      />
    </>
  );
}
