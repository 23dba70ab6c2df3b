/**
 * Reads RFC 4180 CSV back into rows of cells, as a spreadsheet would (quoted fields may hold commas,
 * doubled quotes and line breaks; a leading byte-order mark is dropped). For tests of the page's CSV
 * export: independent of the writer (src/duplicates/csv.ts), so a writer bug cannot cancel itself out.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = text.startsWith('\uFEFF') ? 1 : 0;
  for (; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') {
      if (cell !== '') throw new Error(`CSV: a quote inside an unquoted cell at offset ${i}`);
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else if (c === '\n' || c === '\r') {
      throw new Error(`CSV: a bare line break at offset ${i} (rows must end in CRLF)`);
    } else cell += c;
  }
  if (quoted) throw new Error('CSV: a quoted cell is not closed');
  if (cell !== '' || row.length > 0) throw new Error('CSV: the last row does not end in CRLF');
  return rows;
}
