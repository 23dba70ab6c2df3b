import { printable } from '../../core/printableText';
import type { AlbumSummary } from '../../workers/searchApi';
import { dataFileUrl } from '../catalog/dataUrl';
import { albumHref } from '../routing/route';
import { DataImage } from '../catalog/DataImage';

interface AlbumCardProps {
  album: AlbumSummary;
  k: number;
  /** The name as the page shows it (catalog/albumNames.ts: told apart from a twin); printable() alone by default. */
  shownName?: string;
}

const countFormat = new Intl.NumberFormat();

export function AlbumCard({ album, k, shownName = printable(album.name) }: AlbumCardProps) {
  return (
    <li className="album-card" data-testid="album" data-album={album.name}>
      <a href={albumHref(album.name, k)} className="album-link">
        <span className="thumb-frame album-cover">
          <DataImage
            src={dataFileUrl(album.cover.thumb)}
            alt={`Cover of ${shownName}`}
            loading="lazy"
            decoding="async"
          />
        </span>
        <span className="album-name">{shownName}</span>
        <span className="album-count">
          {countFormat.format(album.count)} {album.count === 1 ? 'image' : 'images'}
        </span>
      </a>
    </li>
  );
}
