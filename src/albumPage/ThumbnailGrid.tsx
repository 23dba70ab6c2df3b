import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { CatalogItem } from '../../core/catalog';
import { nextGridIndex } from './gridKeyboard';
import { ThumbnailCell } from './ThumbnailCell';
import { columnsFor, GRID_GAP, useGridGeometry } from '../common/useGridGeometry';

interface ThumbnailGridProps {
  /** Cells in the grid: the album's size, known before any of its items. */
  count: number;
  /** The item at a position, or undefined while it loads (the cell shows a placeholder). */
  itemAt: (index: number) => CatalogItem | undefined;
  /** Called with the positions whose cells are in the DOM, so their items can be fetched. */
  onRendered: (first: number, last: number) => void;
  k: number;
  label: string;
}

/**
 * A virtualised grid of thumbnails: only the rows near the viewport are in the DOM, so an album of
 * 11k images scrolls like one of 50. The page (window) scrolls, not an inner box. One cell is in the
 * tab order; arrow keys, Page Up/Down, Home and End move focus, Enter opens the image. Items come
 * from `itemAt` as their pages arrive; the grid itself never needs the whole album.
 */
export function ThumbnailGrid({ count, itemAt, onRendered, k, label }: ThumbnailGridProps) {
  const gridRef = useRef<HTMLDivElement>(null);
  const { width, documentTop } = useGridGeometry(gridRef);
  const columns = columnsFor(width);
  const cellSize = width > 0 ? (width - GRID_GAP * (columns - 1)) / columns : 150;
  const rowHeight = cellSize + GRID_GAP;
  const rowCount = Math.ceil(count / columns);

  const virtualizer = useWindowVirtualizer({
    count: rowCount,
    estimateSize: () => rowHeight,
    overscan: 4,
    scrollMargin: documentTop,
  });
  // Row height follows the width; cached sizes of the old width would leave gaps or overlaps.
  useEffect(() => {
    virtualizer.measure();
  }, [virtualizer, rowHeight]);

  const [activeIndex, setActiveIndex] = useState(0);
  const pendingFocus = useRef<number | null>(null);
  // After a key moves focus to a cell that was off screen, the cell exists only once its row renders.
  useEffect(() => {
    const target = pendingFocus.current;
    if (target === null) return;
    const cell = gridRef.current?.querySelector<HTMLElement>(`[data-index="${target}"]`);
    if (cell) {
      pendingFocus.current = null;
      cell.focus({ preventScroll: true });
    }
  });

  const rows = virtualizer.getVirtualItems();
  const firstRendered = rows.length > 0 ? rows[0].index * columns : 0;
  const lastRendered =
    rows.length > 0 ? Math.min(count, (rows[rows.length - 1].index + 1) * columns) - 1 : -1;
  // Keep one cell tabbable even when the active one has scrolled out of the DOM.
  const tabbable = activeIndex >= firstRendered && activeIndex <= lastRendered ? activeIndex : firstRendered;

  useEffect(() => {
    if (lastRendered >= firstRendered) onRendered(firstRendered, lastRendered);
  }, [onRendered, firstRendered, lastRendered]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const from = Number((e.target as HTMLElement).dataset.index ?? Number.NaN);
    if (!Number.isInteger(from)) return;
    const rowsPerPage = Math.max(1, Math.floor(window.innerHeight / rowHeight) - 1);
    const next = nextGridIndex(e.key, from, count, columns, rowsPerPage);
    if (next === null) return;
    e.preventDefault();
    setActiveIndex(next);
    pendingFocus.current = next;
    virtualizer.scrollToIndex(Math.floor(next / columns), { align: 'auto' });
  };

  return (
    <div
      ref={gridRef}
      className="thumbnail-grid"
      role="grid"
      aria-label={label}
      aria-rowcount={rowCount}
      aria-colcount={columns}
      data-testid="thumbnail-grid"
      style={{ height: virtualizer.getTotalSize() }}
      onKeyDown={onKeyDown}
    >
      {rows.map((row) => {
        const start = row.index * columns;
        const cells = Math.min(columns, count - start);
        return (
          <div
            key={row.key}
            role="row"
            aria-rowindex={row.index + 1}
            className="thumbnail-row"
            style={{
              transform: `translateY(${row.start - documentTop}px)`,
              gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`,
              gap: GRID_GAP,
              height: cellSize,
            }}
          >
            {Array.from({ length: cells }, (_, column) => (
              <ThumbnailCell
                key={column}
                index={start + column}
                column={column}
                item={itemAt(start + column)}
                k={k}
                tabbable={start + column === tabbable}
                onFocus={setActiveIndex}
              />
            ))}
          </div>
        );
      })}
    </div>
  );
}
