const UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/** Human-readable size with decimal units (what download UIs and `ls -h --si` show). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Whole percent, never 100 until done so a bar does not look finished while bytes still arrive. */
export function formatPercent(loaded: number, total: number | null, done: boolean): string | null {
  if (done) return '100%';
  if (total === null || total <= 0) return null;
  return `${Math.min(99, Math.floor((loaded / total) * 100))}%`;
}
