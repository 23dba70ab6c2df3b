import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../testing/parseCsv';
import { csvCell, csvText, toCsv } from './csv';

describe('csvText', () => {
  it('leaves plain text alone', () => {
    expect(csvText('grinning face.png')).toBe('grinning face.png');
    expect(csvText('')).toBe('');
    expect(csvText('a=b+c-d@e')).toBe('a=b+c-d@e');
  });

  it('quotes commas, quotes and line breaks, doubling the quotes', () => {
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('say "cheese"')).toBe('"say ""cheese"""');
    expect(csvText('two\nlines')).toBe('"two\nlines"');
    expect(csvText('cr\rlf')).toBe('"cr\rlf"');
  });

  it('neutralises text a spreadsheet would run as a formula', () => {
    expect(csvText('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvText('+1')).toBe(`"'+1"`);
    expect(csvText('-2+3')).toBe(`"'-2+3"`);
    expect(csvText('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvText('\t=1')).toBe(`"'\t=1"`);
    expect(csvText('\r=1')).toBe(`"'\r=1"`);
    expect(csvText('\uFF1D1+1')).toBe(`"'\uFF1D1+1"`);
  });

  it("quotes the other locales' separators, so no part of a name becomes a cell of its own", () => {
    expect(csvText('a;=2+2;b')).toBe('"a;=2+2;b"');
    expect(csvText('x;=1+1;y.png')).toBe('"x;=1+1;y.png"');
    expect(csvText('tab\t=1+5.gif')).toBe('"tab\t=1+5.gif"');
  });

  it('neutralises each line of a name with line breaks, for importers that split lines first', () => {
    expect(csvText('x\n=1+1')).toBe(`"x\n'=1+1"`);
    expect(csvText('x\r\n@SUM(A1)')).toBe(`"x\r\n'@SUM(A1)"`);
    expect(csvText('two\nlines')).toBe('"two\nlines"');
  });
});

describe('csvCell', () => {
  it('writes numbers as numbers and null as an empty cell', () => {
    expect(csvCell(0.9125)).toBe('0.9125');
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(1234567)).toBe('1234567');
    expect(csvCell(null)).toBe('');
  });

  it('refuses numbers a spreadsheet cannot read back', () => {
    expect(() => csvCell(Number.NaN)).toThrow(/finite/);
    expect(() => csvCell(Infinity)).toThrow(/finite/);
  });
});

describe('toCsv', () => {
  it('writes a BOM, a header and CRLF-terminated rows', () => {
    expect(toCsv(['a', 'b'], [['x', 1]])).toBe('\uFEFFa,b\r\nx,1\r\n');
  });

  it('reads back to the same cells, except that formulas stay text', () => {
    const nasty = ['a,b', 'say "hi"', 'line\r\nbreak', '=1+1', '+x', '-y', '@z', 'plain', 'ünïcødé 😀', ''];
    const csv = toCsv(
      ['name', 'n'],
      nasty.map((name, i) => [name, i]),
    );
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual(['name', 'n']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(nasty.map((s) => (/^[=+\-@]/.test(s) ? `'${s}` : s)));
    expect(rows.slice(1).map((r) => Number(r[1]))).toEqual(nasty.map((_, i) => i));
  });

  it('rejects a row of the wrong width', () => {
    expect(() => toCsv(['a', 'b'], [['x']])).toThrow(/row 1 has 1 cells, the header 2/);
  });
});
