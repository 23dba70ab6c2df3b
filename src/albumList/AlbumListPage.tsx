import { useEffect } from 'react';
import { useAlbumName } from '../catalog/albumNames';
import type { AlbumSummary, DuplicateStrictness } from '../../workers/searchApi';
import { firstContent } from '../loading/firstContent';
import { AlbumCard } from './AlbumCard';
import { DuplicatesSummary } from './DuplicatesSummary';

interface AlbumListPageProps {
  albums: readonly AlbumSummary[];
  /** Images in the whole collection. */
  count: number;
  /** Duplicate groups per strictness (LoadInfo.duplicates); null for builds without them. */
  duplicates: Record<DuplicateStrictness, number> | null;
  k: number;
}

const countFormat = new Intl.NumberFormat();

/** `#/`: every album with its cover, name and size. */
export function AlbumListPage({ albums, count, duplicates, k }: AlbumListPageProps) {
  // The list is drawn as soon as the page mounts: its first content is on screen.
  useEffect(() => firstContent.raise(), []);
  const albumName = useAlbumName();
  if (albums.length === 0) {
    return (
      <section className="empty-state" data-testid="no-albums">
        <h2>This collection is empty</h2>
        <p>The index was built from a folder without images. Rebuild it with some images in it.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="albums-heading">
      <div className="section-bar">
        <h1 id="albums-heading">Albums</h1>
        <p className="section-note">
          <span data-testid="collection-summary">
            {countFormat.format(count)} images in {albums.length} {albums.length === 1 ? 'album' : 'albums'}
          </span>
          {duplicates && <DuplicatesSummary counts={duplicates} k={k} />}
        </p>
      </div>
      <ul className="album-grid" data-testid="albums">
        {albums.map((album) => (
          <AlbumCard key={album.name} album={album} k={k} shownName={albumName(album.name)} />
        ))}
      </ul>
    </section>
  );
}
