import { useMemo } from 'react';
import type { LoadProgress } from '../../workers/searchApi';
import type { CatalogView } from '../catalog/catalogView';
import { dataFileUrl } from '../catalog/dataUrl';
import { ErrorPanel } from '../common/ErrorPanel';
import { albumHref, homeHref } from '../routing/route';
import { ItemMeta } from './ItemMeta';
import { QueryImage } from './QueryImage';
import { SimilarImages } from './SimilarImages';
import type { SearchRequest } from './useSearchResults';

interface ImageSearchPageProps {
  id: string;
  k: number;
  view: CatalogView;
  onKChange: (k: number) => void;
  onProgress: (p: LoadProgress) => void;
}

/** `#/search/<id>`: an image of the collection, large, with its k most similar images beneath it. */
export function ImageSearchPage({ id, k, view, onKChange, onProgress }: ImageSearchPageProps) {
  const request = useMemo<SearchRequest>(() => ({ kind: 'id', id }), [id]);
  const item = view.itemById.get(id);
  if (!item) {
    return (
      <ErrorPanel
        title="Image not found"
        message={`No image with id “${id}” is in this collection. The link may be from an older version of it.`}
        testId="image-not-found"
      >
        <a className="button" href={homeHref(k)}>
          Browse the albums
        </a>
      </ErrorPanel>
    );
  }
  return (
    <article className="search-page">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <a href={homeHref(k)}>Albums</a>
        <span aria-hidden="true">›</span>
        <a href={albumHref(item.album, k)}>{item.album}</a>
      </nav>
      <QueryImage
        src={dataFileUrl(item.original)}
        alt={`${item.name} (${item.album})`}
        width={item.width}
        height={item.height}
        caption={
          <>
            <span className="query-name" data-testid="query-name">
              {item.name}
            </span>
            <span className="query-detail">
              {item.album} · {item.width}×{item.height}
            </span>
            {item.meta && <ItemMeta meta={item.meta} />}
          </>
        }
      />
      <SimilarImages request={request} k={k} view={view} onKChange={onKChange} onProgress={onProgress} />
    </article>
  );
}
