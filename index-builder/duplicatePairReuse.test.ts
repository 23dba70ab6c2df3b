import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/prng';
import { candidatePairs, componentMerges, type CandidatePairs } from './duplicateDetection';
import {
  MAX_NEW_SHARE,
  reusablePairs,
  type ReusablePairs,
  type ReusablePairsInput,
} from './duplicatePairReuse';
import { decodePairState, encodePairState } from './duplicatePairsFile';

const DIMS = 16;
// Low, so that many pairs cross cells, where which row probes which matters.
const THRESHOLD = 0.3;
const SCAN = { probeRows: 96, rowsPerCell: 24 };
const KEY = Buffer.alloc(32, 7);

/** Families of near-identical int8 rows around random centres, each with a content hash of its own. */
function collection(seed: number, families: number, perFamily: number) {
  const next = mulberry32(seed);
  const rnd = () => next() / 2 ** 32 - 0.5;
  const rows: { hash: string; vector: Int8Array }[] = [];
  for (let f = 0; f < families; f++) {
    const centre = Array.from({ length: DIMS }, rnd);
    for (let m = 0; m < perFamily; m++) {
      const vector = Int8Array.from(centre, (x) => Math.round((x + 0.08 * rnd()) * 200));
      rows.push({ hash: (next() >>> 0).toString(16).padStart(8, '0').repeat(8), vector });
    }
  }
  return rows;
}

function input(rows: { hash: string; vector: Int8Array }[], previous?: ReusablePairs): ReusablePairsInput {
  const vectors = new Int8Array(rows.length * DIMS);
  rows.forEach((r, i) => vectors.set(r.vector, i * DIMS));
  return {
    vectors,
    dims: DIMS,
    threshold: THRESHOLD,
    hashes: rows.map((r) => r.hash),
    key: KEY,
    previous: previous?.state,
    ...SCAN,
  };
}

/** candidatePairs on the same rows with the same cells (and probe sizes), in index rows. */
function fromScratch(o: ReusablePairsInput, used: ReusablePairs): CandidatePairs {
  const { order } = used.cells;
  const v = new Int8Array(o.vectors.length);
  order.forEach((src, row) => v.set(o.vectors.subarray(src * DIMS, (src + 1) * DIMS), row * DIMS));
  const p = candidatePairs(v, DIMS, THRESHOLD, used.cells, SCAN.probeRows);
  return {
    a: p.a.map((x, i) => Math.min(order[x], order[p.b[i]])),
    b: p.b.map((x, i) => Math.max(order[p.a[i]], order[x])),
    score: p.score,
    comparisons: p.comparisons,
  };
}

const sorted = (p: CandidatePairs) =>
  Array.from(p.a, (a, i) => [a, p.b[i], p.score[i]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);

function expectSameAsScratch(o: ReusablePairsInput, got: ReusablePairs): void {
  const scratch = fromScratch(o, got);
  expect(got.pairs.a.length).toBeGreaterThan(0);
  expect(sorted(got.pairs)).toEqual(sorted(scratch));
  const n = o.hashes.length;
  expect(componentMerges(got.pairs, n, THRESHOLD)).toEqual(componentMerges(scratch, n, THRESHOLD));
}

describe('duplicate pairs across rebuilds', () => {
  const first = collection(1, 60, 12);

  it('scans every row on a first build, as candidatePairs does with the same cells', () => {
    const o = input(first);
    const got = reusablePairs(o);
    expect(got.scanned).toBe(first.length);
    expectSameAsScratch(o, got);
    // Cells of a first build count their own rows.
    const { cellRows, probeSizes } = got.cells;
    expect(Array.from(probeSizes ?? [])).toEqual(Array.from(cellRows.subarray(1), (x, c) => x - cellRows[c]));
  });

  it('after rows are added, removed, repeated and reordered scans only the new ones, with the same result', () => {
    const previous = reusablePairs(input(first));
    const added = collection(2, 3, 4).concat(first.slice(0, 3).map((r) => ({ ...r })));
    // Removed: every 10th row; repeated content (the same hash twice) is always scanned afresh.
    const rows = first.filter((_, i) => i % 10 !== 5).concat(added);
    const shuffled = rows.map((r, i) => ({ r, k: (i * 7919) % rows.length })).sort((x, y) => x.k - y.k);
    const o = input(
      shuffled.map((x) => x.r),
      previous,
    );
    const got = reusablePairs(o);
    expect(got.scanned).toBe(12 + 2 * 3);
    expectSameAsScratch(o, got);
    // The cells are kept (a sharded index is laid out by them): every row still here in its cell.
    expect(got.cells.centroids).toEqual(previous.cells.centroids);
    const cellOf = (c: { cellRows: Uint32Array; order: Uint32Array }, hashes: string[]) => {
      const m = new Map<string, number>();
      for (let cell = 0; cell + 1 < c.cellRows.length; cell++)
        for (let r = c.cellRows[cell]; r < c.cellRows[cell + 1]; r++) m.set(hashes[c.order[r]], cell);
      return m;
    };
    const before = cellOf(previous.cells, input(first).hashes);
    const after = cellOf(got.cells, o.hashes);
    const kept = [...before].filter(([h]) => after.has(h));
    expect(kept.length).toBeGreaterThan(600);
    for (const [h, cell] of kept) expect(after.get(h)).toBe(cell);

    // And again from that build's state.
    const more = o.hashes.map((hash, i) => ({
      hash,
      vector: Int8Array.from(o.vectors.subarray(i * DIMS, (i + 1) * DIMS)),
    }));
    const again = input([...more, ...collection(3, 2, 3)], got);
    const third = reusablePairs(again);
    expect(third.scanned).toBe(6 + 2 * 3);
    expectSameAsScratch(again, third);
  });

  it('clusters afresh for another key, a looser threshold than it kept pairs for, or too many new rows', () => {
    const previous = reusablePairs(input(first));
    const o = input(first, previous);
    expect(reusablePairs(o).scanned).toBe(0);
    expect(reusablePairs({ ...o, key: Buffer.alloc(32, 8) }).scanned).toBe(first.length);
    expect(reusablePairs({ ...o, threshold: previous.state.threshold - 0.01 }).scanned).toBe(first.length);
    const many = first.concat(collection(4, 10, Math.ceil((MAX_NEW_SHARE * first.length) / 10) + 1));
    expect(reusablePairs(input(many, previous)).scanned).toBe(many.length);
  });

  it('clusters afresh once the rows placed in kept cells over several rebuilds add up to too many', () => {
    const first = collection(5, 60, 12);
    const share = Math.floor((MAX_NEW_SHARE * first.length) / 2) + 1;
    const batch = (seed: number) => collection(seed, 1, share);
    const built = reusablePairs(input(first));
    expect(built.state.placed).toBe(0);
    const plusOne = first.concat(batch(6));
    const second = reusablePairs(input(plusOne, built));
    expect(second.scanned).toBe(share);
    expect(second.state.placed).toBe(share);
    // Each batch alone is under the share; the two together are over it.
    const plusTwo = plusOne.concat(batch(7));
    const third = reusablePairs(input(plusTwo, second));
    expect(third.scanned).toBe(plusTwo.length);
    expect(third.state.placed).toBe(0);
    expectSameAsScratch(input(plusTwo, second), third);
  });

  it('stores the state exactly and refuses a damaged or truncated file', () => {
    const { state } = reusablePairs(input(first));
    const bytes = encodePairState(state);
    expect(decodePairState(bytes)).toEqual(state);
    const flipped = Uint8Array.from(bytes);
    flipped[100] ^= 1;
    expect(decodePairState(flipped)).toBeUndefined();
    expect(decodePairState(bytes.subarray(0, bytes.length - 8))).toBeUndefined();
    expect(decodePairState(new Uint8Array(10))).toBeUndefined();
  });
});
