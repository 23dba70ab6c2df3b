import { printable } from '../../core/printableText';
import { labelText, type SimilarityLabel } from '../../core/calibration';
import type { CatalogItem } from '../../core/catalog';
import { useAlbumName } from '../catalog/albumNames';
import { dataFileUrl } from '../catalog/dataUrl';
import { firstContent } from '../loading/firstContent';
import { searchHref } from '../routing/route';
import { formatScore } from './formatScore';
import { DataImage } from '../catalog/DataImage';

interface ResultCardProps {
  item: CatalogItem;
  score: number;
  /** What the score means in this collection; null without a calibration. */
  label: SimilarityLabel | null;
  rank: number;
  k: number;
  /** Carried into the result's own search link. */
  cutOff: SimilarityLabel;
}

/** One neighbour: its thumbnail, similarity and album; opening it searches from it. */
export function ResultCard({ item, score, label, rank, k, cutOff }: ResultCardProps) {
  // The name starts with the card's visible text in its order (score, label, album), so a person who
  // says what they see (speech input) reaches the link; rank and image name follow.
  const album = useAlbumName()(item.album);
  const shown = [formatScore(score), ...(label === null ? [] : [labelText(label)]), album].join(', ');
  return (
    <li className="result-card" data-testid="result" data-id={item.id}>
      <a
        href={searchHref(item.id, k, cutOff)}
        className="result-link"
        aria-label={`${shown}; result ${rank}, ${printable(item.name)}`}
        // The card shows score and album; the name, and an album cut to the card's width, on hover.
        title={`${printable(item.name)} (${album})`}
      >
        <span className="thumb-frame">
          <DataImage
            src={dataFileUrl(item.thumb)}
            alt={`${printable(item.name)} (${album})`}
            loading="lazy"
            decoding="async"
            onLoad={firstContent.raise}
            width={item.width}
            height={item.height}
          />
        </span>
        {/* Spaces between the parts (not drawn between flex items) keep their words apart in the text
            that checkers and speech tools compare with the name. */}
        <span className="result-meta">
          <span className="result-score" data-testid="result-score" title="Similarity (cosine)">
            {formatScore(score)}
          </span>{' '}
          {label !== null && (
            <>
              <span
                className={`result-label result-label-${label}`}
                data-testid="result-label"
                title="How similar, by this collection's own edited copies and random pairs"
              >
                {labelText(label)}
              </span>{' '}
            </>
          )}
          <span className="result-album" data-testid="result-album">
            {album}
          </span>
        </span>
      </a>
    </li>
  );
}
