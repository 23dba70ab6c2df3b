import { printable } from '../../core/printableText';
import type { CatalogItem } from '../../core/catalog';
import { dataFileUrl } from '../catalog/dataUrl';
import { firstContent } from '../loading/firstContent';
import { searchHref } from '../routing/route';
import { DataImage } from '../catalog/DataImage';

interface ThumbnailCellProps {
  /** Position in the grid: in the album, or in the part of a very large album shown (albumParts.ts). */
  index: number;
  column: number;
  /** Undefined while the page holding it is on its way: a placeholder in the same element. */
  item: CatalogItem | undefined;
  k: number;
  tabbable: boolean;
  onFocus: (index: number) => void;
}

/**
 * One grid cell. A placeholder and the loaded image are the same <a>, so focus that arrived while the
 * item was still loading (keyboard paging far ahead) stays on it when the item arrives.
 */
export function ThumbnailCell({ index, column, item, k, tabbable, onFocus }: ThumbnailCellProps) {
  return (
    <div role="gridcell" aria-colindex={column + 1}>
      <a
        href={item ? searchHref(item.id, k) : undefined}
        className={item ? 'thumbnail-cell' : 'thumbnail-cell skeleton'}
        data-index={index}
        data-id={item?.id}
        data-testid={item ? 'grid-cell' : 'grid-placeholder'}
        tabIndex={tabbable ? 0 : -1}
        title={item && printable(item.name)}
        aria-label={item ? undefined : 'Loading image'}
        aria-busy={item ? undefined : true}
        onFocus={() => onFocus(index)}
      >
        {item && (
          <DataImage
            src={dataFileUrl(item.thumb)}
            alt={printable(item.name)}
            loading="lazy"
            decoding="async"
            onLoad={firstContent.raise}
            draggable={false}
          />
        )}
      </a>
    </div>
  );
}
