/** Whole percent, never 100 until done so a bar does not look finished while bytes still arrive. */
export function formatPercent(loaded: number, total: number | null, done: boolean): string | null {
  if (done) return '100%';
  if (total === null || total <= 0) return null;
  return `${Math.min(99, Math.floor((loaded / total) * 100))}%`;
}
