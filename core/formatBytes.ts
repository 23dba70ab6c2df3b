const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/**
 * A byte count for people, the one used by the page, the deploy and the CLIs so a file shows the same
 * size everywhere: SI units (1 kB = 1000 B, as browsers' devtools, download UIs and `ls -h --si` show),
 * three significant digits ("1.50 kB", "25.3 kB", "812 MB"), whole bytes below 1 kB; '?' for a count
 * that is not a size.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  // Decided on the rounded figure, so 999,999 B is "1.00 MB", not "1000 kB".
  while (unit < UNITS.length - 1 && Number(value.toFixed(digitsAfterPoint(value, unit))) >= 1000) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(digitsAfterPoint(value, unit))} ${UNITS[unit]}`;
}

/** Three significant digits after rounding (9.996 → "10.0", not "10.00"); bytes are whole. */
function digitsAfterPoint(value: number, unit: number): number {
  if (unit === 0 || Number(value.toFixed(1)) >= 100) return 0;
  return Number(value.toFixed(2)) >= 10 ? 1 : 2;
}
