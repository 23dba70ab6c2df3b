import { useEffect, useState, type RefObject } from 'react';

export interface GridGeometry {
  /** Content width of the grid element in CSS pixels (0 before the first layout). */
  width: number;
  /** Distance from the top of the document to the grid, which the window virtualizer needs. */
  documentTop: number;
}

/**
 * Width and document offset of an element, kept current as the window resizes and as content above it
 * changes height (the body's size changes then too).
 */
export function useGridGeometry(ref: RefObject<HTMLElement | null>): GridGeometry {
  const [geometry, setGeometry] = useState<GridGeometry>({ width: 0, documentTop: 0 });

  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      const rect = element.getBoundingClientRect();
      const next = { width: element.clientWidth, documentTop: Math.round(rect.top + window.scrollY) };
      setGeometry((prev) =>
        prev.width === next.width && prev.documentTop === next.documentTop ? prev : next,
      );
    };
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, [ref]);

  return geometry;
}

export const GRID_GAP = 8;

/** Columns for a width: small phones get small cells, wide screens many ~150 px cells. */
export function columnsFor(width: number): number {
  const minCell = width < 560 ? 96 : 150;
  return Math.max(2, Math.floor((width + GRID_GAP) / (minCell + GRID_GAP)));
}
