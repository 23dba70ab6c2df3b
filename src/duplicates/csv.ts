/*
 * CSV as spreadsheets read it (RFC 4180): fields with a comma, quote or line break are quoted, quotes
 * doubled, rows end in CRLF. Text from a collection (file and album names) is untrusted: a cell that
 * starts with = + - @ (or their full-width forms, or a tab or CR, which some spreadsheets skip before
 * reading a formula) would run as a formula when the file is opened, so such text gets a leading
 * apostrophe, which spreadsheets read as "this is text" (the OWASP CSV-injection advice). A cell is
 * also quoted when it holds a semicolon or a tab, the separators of spreadsheets set up for other
 * locales (Excel in most of continental Europe splits on ';'), which would otherwise split `a;=2+2`
 * into a cell that starts a formula; and each line of a name with line breaks is neutralised like a
 * cell, for importers that split lines before they read quotes (audit, December 2026).
 */

export type CsvValue = string | number | null;

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
/** A line after a line break (not the first character: FORMULA_START's) that could start a formula. */
const FORMULA_LINE = /(?<!^)([\r\n])(?=[=+\-@\t\uFF1D\uFF0B\uFF0D\uFF20])/g;
const NEEDS_QUOTES = /[",;\t\r\n]/;

/** One text cell: neutralised if it could start a formula, quoted if it holds a separator. */
export function csvText(text: string): string {
  const lines = text.replace(FORMULA_LINE, "$1'");
  const safe = FORMULA_START.test(lines) ? `'${lines}` : lines;
  return NEEDS_QUOTES.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One cell: numbers as written by JS (ours, never the collection's), null as an empty cell. */
export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`a CSV cell must be a finite number, got ${value}`);
    return String(value);
  }
  return csvText(value);
}

/**
 * A whole CSV file. It starts with a byte-order mark, without which Excel reads UTF-8 as a legacy code
 * page and garbles every non-ASCII name.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  for (const [i, row] of rows.entries())
    if (row.length !== header.length)
      throw new Error(`CSV row ${i + 1} has ${row.length} cells, the header ${header.length}`);
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
