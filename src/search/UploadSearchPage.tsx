import { printable } from '../../core/printableText';
import { useMemo } from 'react';
import type { ImageRegion } from '../../core/imageRegion';
import type { LoadProgress } from '../../workers/searchApi';
import { homeHref } from '../routing/route';
import type { LastUpload } from '../ownImage/lastUpload';
import { QueryImage } from './QueryImage';
import type { CutOffControl } from './cutOff';
import { SimilarImages } from './SimilarImages';
import type { SearchRequest } from './useSearchResults';

interface UploadSearchPageProps {
  upload: LastUpload | null;
  k: number;
  onKChange: (k: number) => void;
  cutOff: CutOffControl;
  onProgress: (p: LoadProgress) => void;
  /** The box of the image searched (from the URL); null: the whole image. */
  region: ImageRegion | null;
  onRegionChange: (region: ImageRegion | null) => void;
}

/** `#/search/upload`: the person's own image (kept in memory only) and the most similar album images. */
export function UploadSearchPage({
  upload,
  k,
  onKChange,
  cutOff,
  onProgress,
  region,
  onRegionChange,
}: UploadSearchPageProps) {
  const request = useMemo<SearchRequest | null>(() => {
    if (!upload) return null;
    if (!region) return { kind: 'upload', upload };
    // The file itself (its object URL), not the pixels kept for searching: those are shrunk to 1024 px.
    const image = {
      key: `upload:${upload.serial}`,
      renditions: [{ url: upload.fileUrl, what: 'your image' }],
    };
    return { kind: 'region', region, image };
  }, [upload, region]);
  if (!upload || !request) {
    return (
      <section className="empty-state" data-testid="upload-missing">
        <h1>Your image is not here any more</h1>
        <p>
          Images you search with stay in this tab's memory only and are never uploaded, so a reload or a
          shared link cannot bring them back. Choose, drop or paste the image again.
        </p>
        <a className="button" href={homeHref(k)}>
          Browse the albums
        </a>
      </section>
    );
  }
  return (
    <article className="search-page">
      <QueryImage
        src={upload.url}
        alt={`Your image: ${printable(upload.name)}`}
        width={upload.pixels.width}
        height={upload.pixels.height}
        regionControl={{ region, onChange: onRegionChange }}
        caption={
          <>
            <h1 className="query-name" data-testid="query-name">
              {printable(upload.name)}
            </h1>
            <span className="query-detail">Your image · stays on this device</span>
          </>
        }
      />
      <SimilarImages request={request} k={k} onKChange={onKChange} cutOff={cutOff} onProgress={onProgress} />
    </article>
  );
}
