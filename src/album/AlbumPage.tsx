import type { CatalogView } from '../catalog/catalogView';
import { ErrorPanel } from '../common/ErrorPanel';
import { homeHref } from '../routing/route';
import { KSelector } from '../search/KSelector';
import { ThumbnailGrid } from './ThumbnailGrid';

interface AlbumPageProps {
  album: string;
  k: number;
  view: CatalogView;
  onKChange: (k: number) => void;
}

const countFormat = new Intl.NumberFormat();

/** `#/album/<name>`: every image of one album; choosing one searches for its k most similar. */
export function AlbumPage({ album, k, view, onKChange }: AlbumPageProps) {
  const items = view.itemsByAlbum.get(album);
  if (!items) {
    return (
      <ErrorPanel
        title="Album not found"
        message={`There is no album named “${album}” in this collection.`}
        testId="album-not-found"
      >
        <a className="button" href={homeHref(k)}>
          Browse the albums
        </a>
      </ErrorPanel>
    );
  }
  return (
    <section aria-labelledby="album-heading">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <a href={homeHref(k)}>Albums</a>
      </nav>
      <div className="section-bar">
        <div>
          <h1 id="album-heading">{album}</h1>
          <p className="section-note">
            {countFormat.format(items.length)} {items.length === 1 ? 'image' : 'images'} · choose one to see
            the ones most like it
          </p>
        </div>
        <KSelector k={k} onChange={onKChange} />
      </div>
      <ThumbnailGrid key={album} items={items} k={k} label={`Images in ${album}`} />
    </section>
  );
}
