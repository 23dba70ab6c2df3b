import { describe, expect, it } from 'vitest';
import {
  CELL_INDEX_VERSION,
  cellByteRange,
  decodeCell,
  decodeCellIndexHead,
  encodeCellIndex,
  type CellIndexData,
  type CellRows,
} from './cellIndexFormat';
import type { CatalogItem } from './catalog';
import { decodeVector } from './catalogShards';
import { encodeCellItems, openCellItems } from './cellItems';
import { NewerFormatError } from './formatVersion';
import { IndexFormatError, NEWEST_INDEX_VERSION } from './indexFormat';
import { mulberry32 } from './prng';

const DIMS = 6;
const INPUT_DIM = 9;

/** 3 cells owning 4, 3 and 2 rows (positions 8 − row); cell 0 also holds a copy of row 5, cell 2 of rows 0 and 1. */
function sample(withCopies: boolean): CellIndexData {
  const next = mulberry32(5);
  const vectors = Int8Array.from({ length: 9 * DIMS }, () => (next() % 255) - 127);
  const positions = Uint32Array.from({ length: 9 }, (_, row) => 8 - row);
  const copyOf = [5, 0, 1];
  const copyVectors = new Int8Array(copyOf.length * DIMS);
  copyOf.forEach((row, j) => copyVectors.set(vectors.subarray(row * DIMS, (row + 1) * DIMS), j * DIMS));
  return {
    modelId: 'test-model',
    transform: {
      inputDim: INPUT_DIM,
      dims: DIMS,
      mean: Float32Array.from({ length: INPUT_DIM }, (_, i) => i / 7),
      projection: Float32Array.from({ length: DIMS * INPUT_DIM }, (_, i) => Math.cos(i)),
      quantScale: 99,
    },
    centroids: Int8Array.from({ length: 3 * DIMS }, (_, i) => (i * 37) % 127),
    cellRows: Uint32Array.of(0, 4, 7, 9),
    vectors,
    positions,
    copies: withCopies
      ? {
          rows: Uint32Array.of(0, 1, 1, 3),
          vectors: copyVectors,
          positions: Uint32Array.from(copyOf, (row) => positions[row]),
        }
      : undefined,
  };
}

/** The item at position p: what a result shows. */
function itemAt(p: number): CatalogItem {
  return {
    id: `0f${p}`,
    album: p < 5 ? 'Cats' : 'Dogs',
    name: `photo ${p}.jpg`,
    thumb: `thumbs/${p}.webp`,
    original: `originals/${p}.jpg`,
    width: 640 + p,
    height: 480,
    ...(p % 2 === 0 ? { bytes: 1000 * p, meta: { camera: 'X' } } : {}),
  };
}

function withItems(data: CellIndexData): CellIndexData {
  return { ...data, items: Array.from({ length: data.positions.length }, (_, p) => itemAt(p)) };
}

/** Opens a cell's items and checks them all, as a query needing each of them would. */
function decodeCellItems(cell: CellRows, count: number) {
  const items = openCellItems(cell, count);
  return Array.from({ length: items.count }, (_, r) => items.at(r));
}

function cellOf(bytes: Uint8Array, cell: number) {
  const head = decodeCellIndexHead(bytes);
  const [start, end] = cellByteRange(head, cell);
  return decodeCell(head, cell, bytes.slice(start, end));
}

describe('index v3 (sharded, with copies of border rows)', () => {
  it('stores each cell as its own rows, then its copies, and reads them back', () => {
    const data = sample(true);
    const bytes = encodeCellIndex(data);
    const head = decodeCellIndexHead(bytes);
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(3);
    expect(head.hasItems).toBe(false);
    expect(head.count).toBe(9);
    expect(Array.from(head.cellRows)).toEqual([0, 4, 7, 9]);
    expect(Array.from(head.storedRows)).toEqual([0, 5, 8, 12]);
    const c0 = cellOf(bytes, 0);
    expect([c0.count, c0.copies, c0.firstRow]).toEqual([5, 1, 0]);
    expect(Array.from(c0.positions)).toEqual([8, 7, 6, 5, 3]);
    expect(c0.vectors.subarray(4 * DIMS)).toEqual(data.vectors.subarray(5 * DIMS, 6 * DIMS));
    const c2 = cellOf(bytes, 2);
    expect([c2.count, c2.copies, c2.firstRow]).toEqual([4, 2, 7]);
    expect(Array.from(c2.positions)).toEqual([1, 0, 8, 7]);
    expect(c2.vectors.subarray(0, 2 * DIMS)).toEqual(data.vectors.subarray(7 * DIMS));
  });

  it('writes a file without copies as v2, which reads as before', () => {
    const bytes = encodeCellIndex(sample(false));
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(2);
    const head = decodeCellIndexHead(bytes);
    expect(Array.from(head.storedRows)).toEqual(Array.from(head.cellRows));
    const c1 = cellOf(bytes, 1);
    expect([c1.count, c1.copies]).toEqual([3, 0]);
    expect(Array.from(c1.positions)).toEqual([4, 3, 2]);
  });

  it('refuses copies that name no item, or do not tile the cells', () => {
    const bad = sample(true);
    bad.copies!.positions[0] = 9;
    expect(() => encodeCellIndex(bad)).toThrow(/position 9 ≥ count/);
    const short = sample(true);
    short.copies!.rows = Uint32Array.of(0, 1, 3);
    expect(() => encodeCellIndex(short)).toThrow(/copies\.rows/);
  });

  it("checks a cell's copies against its checksum like its own rows", () => {
    const bytes = encodeCellIndex(sample(true));
    const head = decodeCellIndexHead(bytes);
    const [start, end] = cellByteRange(head, 2);
    const cell = bytes.slice(start, end);
    cell[cell.length - 5] ^= 1; // a byte of the last copy's vector
    expect(() => decodeCell(head, 2, cell)).toThrow(/checksum/);
  });
});

describe('index v4 (each cell stores its items)', () => {
  it('stores the item of every row a cell holds, copies included, and reads them back', () => {
    const data = withItems(sample(true));
    const bytes = encodeCellIndex(data);
    const head = decodeCellIndexHead(bytes);
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(CELL_INDEX_VERSION);
    expect(head.hasItems).toBe(true);
    for (let c = 0; c < head.cells; c++) {
      const cell = cellOf(bytes, c);
      // The rows read as in v3; the item block follows them.
      expect(Array.from(cell.positions)).toEqual(
        Array.from(cellOf(encodeCellIndex(sample(true)), c).positions),
      );
      const items = decodeCellItems(cell, head.count);
      expect(items.map((it) => it.position)).toEqual(Array.from(cell.positions));
      items.forEach((it, r) => {
        const { position, row, vector, ...item } = it;
        expect(item).toEqual(itemAt(position));
        // Its own row, for a copy too (the row another cell owns).
        expect(data.positions[row]).toBe(position);
        expect(decodeVector(vector!)).toEqual(cell.vectors.subarray(r * DIMS, (r + 1) * DIMS));
      });
    }
    expect(decodeCellItems(cellOf(bytes, 0), head.count)[4].row).toBe(5);
  });

  it("checks a cell's items against its checksum like its rows", () => {
    const bytes = encodeCellIndex(withItems(sample(true)));
    const head = decodeCellIndexHead(bytes);
    const [start, end] = cellByteRange(head, 1);
    expect(end - start).toBeGreaterThan(3 * head.rowBytes);
    const cell = bytes.slice(start, end);
    cell[cell.length - 2] ^= 1; // a byte of the item block
    expect(() => decodeCell(head, 1, cell)).toThrow(/cell 1 checksum/);
  });

  it('refuses items that are not one per position, and blocks that do not match their rows', () => {
    const short = { ...sample(false), items: [itemAt(0)] };
    expect(() => encodeCellIndex(short)).toThrow(/one item per position/);
    const bytes = encodeCellIndex(withItems(sample(true)));
    const head = decodeCellIndexHead(bytes);
    const cell = cellOf(bytes, 2);
    // The sample's rows hold positions 8 − row.
    const rows = (n: number) =>
      Array.from({ length: n }, (_, r) => ({ ...itemAt(cell.positions[r]), row: 8 - cell.positions[r] }));
    expect(decodeCellItems({ ...cell, itemBlock: encodeCellItems(rows(4)) }, head.count)).toHaveLength(4);
    expect(() => decodeCellItems({ ...cell, itemBlock: encodeCellItems(rows(3)) }, head.count)).toThrow(
      /cell 2 items must be 4 items/,
    );
    const wrongRow = rows(4);
    wrongRow[1].row = 3;
    expect(() => decodeCellItems({ ...cell, itemBlock: encodeCellItems(wrongRow) }, head.count)).toThrow(
      /cell 2 items\[1\]\.row 3 is not the row it describes/,
    );
    // A copy must describe a row another cell owns.
    const copyOfOwn = rows(4);
    copyOfOwn[3].row = 7;
    expect(() => decodeCellItems({ ...cell, itemBlock: encodeCellItems(copyOfOwn) }, head.count)).toThrow(
      /items\[3\]\.row 7/,
    );
    expect(() => decodeCellItems({ ...cell, itemBlock: Uint8Array.of(1, 2, 3) }, head.count)).toThrow(
      /cell 2 items do not decode/,
    );
    expect(() => decodeCellItems({ ...cell, itemBlock: Uint8Array.of(1, 2, 3) }, head.count)).toThrow(
      IndexFormatError,
    );
    const noName = rows(4).map(({ name: _name, ...rest }) => rest);
    expect(() =>
      decodeCellItems({ ...cell, itemBlock: encodeCellItems(noName as never) }, head.count),
    ).toThrow(/name/);
  });

  it('reads a file without items as before (v3)', () => {
    const cell = cellOf(encodeCellIndex(sample(true)), 0);
    expect(cell.itemBlock).toBeUndefined();
    expect(() => decodeCellItems(cell, 9)).toThrow(/absent/);
  });
});

describe('index versions', () => {
  it('tells a version newer than any it reads from a resident one or a damaged one', () => {
    const bytes = encodeCellIndex(sample(true));
    const view = new DataView(bytes.buffer);
    view.setUint32(8, NEWEST_INDEX_VERSION + 1, true);
    expect(() => decodeCellIndexHead(bytes)).toThrow(NewerFormatError);
    view.setUint32(8, 1, true);
    expect(() => decodeCellIndexHead(bytes)).toThrow(IndexFormatError);
  });
});
