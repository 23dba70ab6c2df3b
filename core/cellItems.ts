import { deflateSync, inflateSync } from 'fflate';
import { parseCatalogItem, type CatalogItem } from './catalog';
import { encodeVector, type ShardedItem } from './catalogShards';
import type { CellRows } from './cellIndexFormat';
import { IndexFormatError } from './indexFormat';
import { nonNegativeInt, record } from './jsonChecks';

/**
 * A cell's item block (index v4, docs/index-format.md): what a result shows, for each row the cell
 * stores, next to the rows, so a query's results arrive with the cells it reads instead of in a second
 * round trip to the item shards. Raw DEFLATE of the UTF-8 JSON array `[item, …]`, one per stored row in
 * order (own rows, then copies): a catalog v1 item plus `row`, the item's own index row. The item's
 * vector is its row's, and its position the row's, so neither is stored twice.
 */

/** An item as a cell stores it. */
type CellItem = CatalogItem & { row: number };

/** Catalog JSON repeats keys and paths: DEFLATE keeps an item block near 1/5 of the JSON. */
const DEFLATE_LEVEL = 6;

export function encodeCellItems(items: readonly CellItem[]): Uint8Array {
  return deflateSync(new TextEncoder().encode(JSON.stringify(items)), { level: DEFLATE_LEVEL });
}

function fail(path: string, message: string): never {
  throw new IndexFormatError(`invalid sharded index: ${path} ${message}`);
}

/** A cell's items, each checked when first asked for (a query needs a few of a cell's hundreds). */
export interface CellItems {
  readonly count: number;
  /** The item of stored row r (own rows, then copies), with its position, own row and vector. */
  at(r: number): ShardedItem;
}

/**
 * Inflates and parses a cell's item block (CRC-checked with the cell already). A block that does not
 * inflate, parse or hold one item per stored row, or an item that is not valid or names the wrong row,
 * is an error naming the cell.
 */
export function openCellItems(rows: CellRows, indexCount: number): CellItems {
  const path = `cell ${rows.cell} items`;
  if (rows.itemBlock === undefined) fail(path, 'are absent (an index before v4)');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflateSync(rows.itemBlock)));
  } catch (err) {
    fail(path, `do not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(json) || json.length !== rows.count) fail(path, `must be ${rows.count} items`);
  const block: unknown[] = json;
  const own = rows.count - rows.copies;
  const dims = rows.vectors.length / rows.count;
  const isOwn = (row: number) => row >= rows.firstRow && row < rows.firstRow + own;
  const checked = new Map<number, ShardedItem>();
  return {
    count: rows.count,
    at(r) {
      if (!Number.isInteger(r) || r < 0 || r >= rows.count) throw new RangeError(`${path}: no row ${r}`);
      const known = checked.get(r);
      if (known !== undefined) return known;
      const at = `${path}[${r}]`;
      const { row: rawRow, ...rest } = record(block[r], at, fail);
      const row = nonNegativeInt(rawRow, `${at}.row`, fail);
      // An own row describes itself; a copy, a row another cell owns.
      if (r < own ? row !== rows.firstRow + r : row >= indexCount || isOwn(row))
        fail(`${at}.row`, `${row} is not the row it describes`);
      const item = {
        ...parseCatalogItem(rest, at),
        position: rows.positions[r],
        row,
        vector: encodeVector(rows.vectors.subarray(r * dims, (r + 1) * dims)),
      };
      checked.set(r, item);
      return item;
    },
  };
}
