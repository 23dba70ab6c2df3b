import type { CatalogItem } from '../../core/catalog';
import { dataFileUrl } from '../catalog/dataUrl';
import { searchHref } from '../routing/route';
import { formatScore } from './formatScore';

interface ResultCardProps {
  item: CatalogItem;
  score: number;
  rank: number;
  k: number;
}

/** One neighbour: its thumbnail, similarity and album; opening it searches from it. */
export function ResultCard({ item, score, rank, k }: ResultCardProps) {
  return (
    <li className="result-card" data-testid="result" data-id={item.id}>
      <a
        href={searchHref(item.id, k)}
        className="result-link"
        aria-label={`${rank}. ${item.name}, album ${item.album}, similarity ${formatScore(score)}`}
      >
        <span className="thumb-frame">
          <img
            src={dataFileUrl(item.thumb)}
            alt={`${item.name} (${item.album})`}
            loading="lazy"
            decoding="async"
            width={item.width}
            height={item.height}
          />
        </span>
        <span className="result-meta">
          <span className="result-score" data-testid="result-score" title="Similarity (cosine)">
            {formatScore(score)}
          </span>
          <span className="result-album" data-testid="result-album">
            {item.album}
          </span>
        </span>
      </a>
    </li>
  );
}
