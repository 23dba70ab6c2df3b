import { printable } from '../../core/printableText';
import { useAlbumName } from '../catalog/albumNames';
import type { AlbumSummary } from '../../workers/searchApi';
import { ErrorPanel } from '../common/ErrorPanel';
import { homeHref } from '../routing/route';
import { albumPart } from './albumParts';
import { AlbumPartNav } from './AlbumPartNav';
import { KSelector } from '../search/KSelector';
import { AlbumItemsGrid } from './AlbumItemsGrid';

interface AlbumPageProps {
  album: string;
  /** Which part of a very large album (src/albumPage/albumParts.ts); 1 for any other. */
  part: number;
  k: number;
  albums: readonly AlbumSummary[];
  onKChange: (k: number) => void;
}

const countFormat = new Intl.NumberFormat();

/** `#/album/<name>`: every image of one album; choosing one searches for its k most similar. */
export function AlbumPage({ album, part, k, albums, onKChange }: AlbumPageProps) {
  const albumName = useAlbumName();
  const summary = albums.find((a) => a.name === album);
  if (!summary) {
    return (
      <ErrorPanel
        title="Album not found"
        message={`There is no album named “${printable(album)}” in this collection.`}
        testId="album-not-found"
        headingLevel={1}
      >
        <a className="button" href={homeHref(k)}>
          Browse the albums
        </a>
      </ErrorPanel>
    );
  }
  const shown = albumPart(summary.count, part);
  return (
    <section aria-labelledby="album-heading">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <a href={homeHref(k)}>Albums</a>
      </nav>
      <div className="section-bar">
        <div>
          <h1 id="album-heading">{albumName(album)}</h1>
          <p className="section-note">
            {countFormat.format(summary.count)} {summary.count === 1 ? 'image' : 'images'} · choose one to see
            the ones most like it
          </p>
        </div>
        <KSelector k={k} onChange={onKChange} />
      </div>
      {shown.parts > 1 && <AlbumPartNav album={album} albumCount={summary.count} shown={shown} k={k} />}
      <AlbumItemsGrid
        key={`${shown.part}:${album}`}
        album={album}
        start={shown.start}
        count={shown.count}
        k={k}
      />
    </section>
  );
}
