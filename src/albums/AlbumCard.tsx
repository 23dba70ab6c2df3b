import type { CatalogAlbum, CatalogItem } from '../../core/catalog';
import { dataFileUrl } from '../catalog/dataUrl';
import { albumHref } from '../routing/route';

interface AlbumCardProps {
  album: CatalogAlbum;
  cover: CatalogItem | undefined;
  k: number;
}

const countFormat = new Intl.NumberFormat();

export function AlbumCard({ album, cover, k }: AlbumCardProps) {
  return (
    <li className="album-card" data-testid="album" data-album={album.name}>
      <a href={albumHref(album.name, k)} className="album-link">
        <span className="thumb-frame album-cover">
          {cover && (
            <img
              src={dataFileUrl(cover.thumb)}
              alt={`Cover of ${album.name}: ${cover.name}`}
              loading="lazy"
              decoding="async"
              width={cover.width}
              height={cover.height}
            />
          )}
        </span>
        <span className="album-name">{album.name}</span>
        <span className="album-count">
          {countFormat.format(album.count)} {album.count === 1 ? 'image' : 'images'}
        </span>
      </a>
    </li>
  );
}
