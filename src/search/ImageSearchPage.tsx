import { printable } from '../../core/printableText';
import { useMemo } from 'react';
import type { ImageRegion } from '../../core/imageRegion';
import type { LoadProgress } from '../../workers/searchApi';
import { useAlbumName } from '../catalog/albumNames';
import { dataFileUrl } from '../catalog/dataUrl';
import type { ItemLookup } from '../catalog/useCatalogItem';
import { ErrorPanel } from '../common/ErrorPanel';
import { albumHref, homeHref } from '../routing/route';
import { ItemMeta } from './ItemMeta';
import { QueryImage } from './QueryImage';
import type { CutOffControl } from './cutOff';
import { SimilarImages } from './SimilarImages';
import type { SearchRequest } from './useSearchResults';

/**
 * The image a link names, for a message: an id as builders make them, shown; anything else, which a
 * crafted link could make read as a sentence of the site's own ("… is locked: call …"), not repeated.
 */
function linkedId(id: string): string {
  return /^[0-9A-Za-z_-]{1,64}$/.test(id) ? `No image with id “${id}”` : 'The image this link names';
}

interface ImageSearchPageProps {
  id: string;
  /** The image with this id, as the worker found it (it may first fetch the shard that holds it). */
  lookup: ItemLookup;
  k: number;
  onKChange: (k: number) => void;
  cutOff: CutOffControl;
  onProgress: (p: LoadProgress) => void;
  /** The box of the image searched (from the URL); null: the whole image. */
  region: ImageRegion | null;
  onRegionChange: (region: ImageRegion | null) => void;
}

/** `#/search/<id>`: an image of the collection, large, with its k most similar images beneath it. */
export function ImageSearchPage({
  id,
  lookup,
  k,
  onKChange,
  cutOff,
  onProgress,
  region,
  onRegionChange,
}: ImageSearchPageProps) {
  const albumName = useAlbumName();
  // A region is cut from this id's own item; a stale item (the previous id's) would cut the wrong image.
  const current = lookup.status === 'found' && lookup.item.id === id ? lookup.item : null;
  const original = current?.original;
  const thumb = current?.thumb;
  const request = useMemo<SearchRequest>(
    () =>
      region && original !== undefined && thumb !== undefined
        ? {
            kind: 'region',
            region,
            // Largest first: the original at full resolution; the thumbnail if the browser cannot read it.
            image: {
              key: `id:${id}`,
              renditions: [
                { url: dataFileUrl(original), what: 'the original' },
                { url: dataFileUrl(thumb), what: 'the thumbnail' },
              ],
            },
          }
        : { kind: 'id', id },
    [id, region, original, thumb],
  );
  const browse = (
    <a className="button" href={homeHref(k)}>
      Browse the albums
    </a>
  );
  switch (lookup.status) {
    case 'loading':
      return <div className="skeleton skeleton-query" aria-busy="true" data-testid="query-loading" />;
    case 'missing':
      return (
        <ErrorPanel
          title="Image not found"
          message={`${linkedId(id)} is in this collection. The link may be from an older version of it.`}
          testId="image-not-found"
          headingLevel={1}
        >
          {browse}
        </ErrorPanel>
      );
    case 'failed':
      return (
        <ErrorPanel
          title="The image could not be loaded"
          message={lookup.message}
          testId="image-lookup-error"
          headingLevel={1}
        >
          {browse}
        </ErrorPanel>
      );
  }
  // A stale item (the previous image's, while this one's is fetched) keeps the page and its results in place.
  const { item, stale } = lookup;
  return (
    <article className="search-page" aria-busy={stale}>
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <a href={homeHref(k)}>Albums</a>
        <span aria-hidden="true">›</span>
        <a href={albumHref(item.album, k)}>{albumName(item.album)}</a>
      </nav>
      <QueryImage
        src={dataFileUrl(item.original)}
        alt={`${printable(item.name)} (${albumName(item.album)})`}
        width={item.width}
        height={item.height}
        regionControl={{
          region,
          onChange: onRegionChange,
          sourceSize: { width: item.width, height: item.height },
        }}
        caption={
          <>
            <h1 className="query-name" data-testid="query-name">
              {printable(item.name)}
            </h1>
            <span className="query-detail">
              {/* Isolated: a name with right-to-left marks would otherwise reorder the size after it. */}
              <bdi>{albumName(item.album)}</bdi> · {item.width}×{item.height}
            </span>
            {item.meta && <ItemMeta meta={item.meta} />}
          </>
        }
      />
      <SimilarImages request={request} k={k} onKChange={onKChange} cutOff={cutOff} onProgress={onProgress} />
    </article>
  );
}
