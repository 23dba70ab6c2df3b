/**
 * Where focus goes in a grid of `count` cells laid out `columns` per row when a key is pressed, or null
 * when the key is not a grid key (so the browser keeps its default, e.g. Tab or Enter on a link).
 */
export function nextGridIndex(
  key: string,
  index: number,
  count: number,
  columns: number,
  rowsPerPage: number,
): number | null {
  if (count === 0) return null;
  const last = count - 1;
  const clamp = (i: number) => Math.min(last, Math.max(0, i));
  switch (key) {
    case 'ArrowRight':
      return clamp(index + 1);
    case 'ArrowLeft':
      return clamp(index - 1);
    case 'ArrowDown':
      // On the short last row there may be no cell straight below: stay put rather than jump sideways.
      return index + columns <= last ? index + columns : index;
    case 'ArrowUp':
      return index - columns >= 0 ? index - columns : index;
    case 'PageDown':
      return clamp(index + columns * Math.max(1, rowsPerPage));
    case 'PageUp':
      return clamp(index - columns * Math.max(1, rowsPerPage));
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return null;
  }
}
