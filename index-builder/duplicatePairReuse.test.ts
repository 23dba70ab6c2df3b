import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/lsh';
import { candidatePairs, componentMerges, type CandidatePairs } from './duplicateDetection';
import {
  MAX_NEW_SHARE,
  residentPairs,
  type ResidentPairs,
  type ResidentPairsInput,
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

function input(rows: { hash: string; vector: Int8Array }[], previous?: ResidentPairs): ResidentPairsInput {
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
function fromScratch(o: ResidentPairsInput, used: ResidentPairs): CandidatePairs {
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

function expectSameAsScratch(o: ResidentPairsInput, got: ResidentPairs): void {
  const scratch = fromScratch(o, got);
  expect(got.pairs.a.length).toBeGreaterThan(0);
  expect(sorted(got.pairs)).toEqual(sorted(scratch));
  const n = o.hashes.length;
  expect(componentMerges(got.pairs, n, THRESHOLD)).toEqual(componentMerges(scratch, n, THRESHOLD));
}

describe('resident duplicate pairs across rebuilds', () => {
  const first = collection(1, 60, 12);

  it('scans every row on a first build, as candidatePairs does with the same cells', () => {
    const o = input(first);
    const got = residentPairs(o);
    expect(got.scanned).toBe(first.length);
    expectSameAsScratch(o, got);
    // Cells of a first build count their own rows.
    const { cellRows, probeSizes } = got.cells;
    expect(Array.from(probeSizes ?? [])).toEqual(Array.from(cellRows.subarray(1), (x, c) => x - cellRows[c]));
  });

  it('after rows are added, removed, repeated and reordered scans only the new ones, with the same result', () => {
    const previous = residentPairs(input(first));
    const added = collection(2, 3, 4).concat(first.slice(0, 3).map((r) => ({ ...r })));
    // Removed: every 10th row; repeated content (the same hash twice) is always scanned afresh.
    const rows = first.filter((_, i) => i % 10 !== 5).concat(added);
    const shuffled = rows.map((r, i) => ({ r, k: (i * 7919) % rows.length })).sort((x, y) => x.k - y.k);
    const o = input(
      shuffled.map((x) => x.r),
      previous,
    );
    const got = residentPairs(o);
    expect(got.scanned).toBe(12 + 2 * 3);
    expectSameAsScratch(o, got);

    // And again from that build's state.
    const more = o.hashes.map((hash, i) => ({
      hash,
      vector: Int8Array.from(o.vectors.subarray(i * DIMS, (i + 1) * DIMS)),
    }));
    const again = input([...more, ...collection(3, 2, 3)], got);
    const third = residentPairs(again);
    expect(third.scanned).toBe(6 + 2 * 3);
    expectSameAsScratch(again, third);
  });

  it('clusters afresh for another key, a looser threshold than it kept pairs for, or too many new rows', () => {
    const previous = residentPairs(input(first));
    const o = input(first, previous);
    expect(residentPairs(o).scanned).toBe(0);
    expect(residentPairs({ ...o, key: Buffer.alloc(32, 8) }).scanned).toBe(first.length);
    expect(residentPairs({ ...o, threshold: previous.state.threshold - 0.01 }).scanned).toBe(first.length);
    const many = first.concat(collection(4, 10, Math.ceil((MAX_NEW_SHARE * first.length) / 10) + 1));
    expect(residentPairs(input(many, previous)).scanned).toBe(many.length);
  });

  it('stores the state exactly and refuses a damaged or truncated file', () => {
    const { state } = residentPairs(input(first));
    const bytes = encodePairState(state);
    expect(decodePairState(bytes)).toEqual(state);
    const flipped = Uint8Array.from(bytes);
    flipped[100] ^= 1;
    expect(decodePairState(flipped)).toBeUndefined();
    expect(decodePairState(bytes.subarray(0, bytes.length - 8))).toBeUndefined();
    expect(decodePairState(new Uint8Array(10))).toBeUndefined();
  });
});
