import { describe, expect, it, vi } from 'vitest';
import { syntheticEmbeddings } from '../testing/syntheticEmbeddings';
import { codeWords, lshCode, lshPlanes } from './lsh';
import {
  InMemoryResidentIndex,
  defaultSearchStrategy,
  type ResidentIndexData,
  type SearchHit,
} from './residentIndex';
import { quantize } from './vectorTransform';

/** An index over the given int8 rows in one bucket (bucket order is assembleIndex's business). */
function indexOf(rows: Int8Array[], bits = 256, seed = 9, rowBits: 4 | 8 = 8): InMemoryResidentIndex {
  return new InMemoryResidentIndex(indexData(rows, bits, seed, rowBits));
}

function indexData(rows: Int8Array[], bits: number, seed: number, rowBits: 4 | 8): ResidentIndexData {
  const dims = rows[0].length;
  const codes = new Uint32Array(rows.length * codeWords(bits));
  // bits 0: an index without codes, which every query scans whole.
  if (bits > 0) {
    const planes = lshPlanes(seed, bits, dims);
    rows.forEach((r, i) => codes.set(lshCode(planes, bits, r), i * codeWords(bits)));
  }
  const data: ResidentIndexData = {
    modelId: 'test-model',
    transform: {
      inputDim: dims,
      dims,
      mean: new Float32Array(dims),
      projection: Float32Array.from({ length: dims * dims }, (_, i) => (i % (dims + 1) === 0 ? 1 : 0)),
      quantScale: 127,
    },
    seed,
    bits,
    bucketBits: 0,
    codes,
    vectors: new Int8Array(rows.length * dims),
    rowBits,
    bucketOffsets: new Uint32Array([0, rows.length]),
  };
  rows.forEach((r, i) => data.vectors.set(r, i * dims));
  return data;
}

function clusteredRows(count: number, dims: number, seed: number): Int8Array[] {
  const { embeddings } = syntheticEmbeddings({
    count,
    dim: dims,
    clusters: Math.ceil(count / 50),
    spread: 1,
    seed,
  });
  // Centre so the vectors spread over all orthants like PCA output does.
  const mean = new Float64Array(dims);
  for (const e of embeddings) for (let d = 0; d < dims; d++) mean[d] += e[d] / count;
  return embeddings.map((e) => {
    const c = Float64Array.from(e, (x, d) => x - mean[d]);
    const n = Math.hypot(...c);
    return quantize(
      c.map((x) => x / n),
      400,
    );
  });
}

function bruteForce(rows: Int8Array[], q: Int8Array, k: number, exclude = -1): SearchHit[] {
  const norm = (v: Int8Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return rows
    .map((r, row) => ({
      row,
      score: r.reduce((s, x, d) => s + x * q[d], 0) / (norm(r) * norm(q) || Infinity),
    }))
    .filter((h) => h.row !== exclude)
    .sort((a, b) => b.score - a.score || a.row - b.row)
    .slice(0, k);
}

/** Rows in ±7, as an int4 index holds them (the clustered rows scaled down). */
function int4Rows(count: number, dims: number, seed: number): Int8Array[] {
  return clusteredRows(count, dims, seed).map((r) => Int8Array.from(r, (x) => Math.round((x * 7) / 127)));
}

describe('InMemoryResidentIndex over int4 rows', () => {
  // 38 dims: 19 bytes a row, so the table scan's tail past its groups of four bytes runs too.
  for (const dims of [32, 38]) {
    it(`scans ${dims}-dim int4 rows exactly as the int8 scan does (one table lookup per byte)`, () => {
      const rows = int4Rows(300, dims, dims);
      const packed = indexOf(rows, 0, 9, 4);
      const plain = indexOf(rows, 0, 9, 8);
      const queries = [...clusteredRows(5, dims, 77), rows[3]];
      for (const q of queries) {
        expect(packed.searchByVector(q, 10)).toEqual(plain.searchByVector(q, 10));
        expect(packed.searchByVector(q, 10).map((h) => h.row)).toEqual(
          bruteForce(rows, q, 10).map((h) => h.row),
        );
      }
      for (const row of [0, 150, 299]) expect(packed.searchByRow(row, 7)).toEqual(plain.searchByRow(row, 7));
    });
  }

  it('falls back to the int8 scan for rows outside ±7, which packing would corrupt', () => {
    const rows = clusteredRows(200, 32, 5);
    const q = clusteredRows(5, 32, 6)[0];
    expect(indexOf(rows, 0, 9, 4).searchByVector(q, 10)).toEqual(
      indexOf(rows, 0, 9, 8).searchByVector(q, 10),
    );
  });
});

describe('InMemoryResidentIndex without WebAssembly SIMD', () => {
  it('scans int8 and int4 rows in JavaScript, with the same hits as the WebAssembly scan', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', undefined);
    try {
      const { InMemoryResidentIndex: JsScanIndex } = await import('./residentIndex');
      // 38 dims: 19 bytes a row, so the table scan's tail past its groups of four bytes runs too.
      for (const [rows, rowBits] of [
        [clusteredRows(300, 40, 1), 8],
        [int4Rows(300, 38, 2), 4],
        [clusteredRows(300, 32, 3), 4],
      ] as const) {
        const data = indexData(rows, 0, 9, rowBits);
        const js = new JsScanIndex(data);
        const wasm = new InMemoryResidentIndex(data);
        expect(Reflect.get(js, 'rowDots')).toBeNull();
        expect(Reflect.get(wasm, 'rowDots')).not.toBeNull();
        for (const q of [...clusteredRows(5, rows[0].length, 77), rows[3]])
          expect(js.searchByVector(q, 10)).toEqual(wasm.searchByVector(q, 10));
        for (const row of [0, 150, 299]) expect(js.searchByRow(row, 7)).toEqual(wasm.searchByRow(row, 7));
      }
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('InMemoryResidentIndex', () => {
  const rows = clusteredRows(600, 32, 1);
  const index = indexOf(rows);

  it('exact search returns the brute-force top k with cosine scores', () => {
    for (const q of [0, 17, 599]) {
      const got = index.searchWith(rows[q], 10, { kind: 'exact' });
      const want = bruteForce(rows, rows[q], 10);
      expect(got.map((h) => h.row)).toEqual(want.map((h) => h.row));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i].score, 12));
      expect(got[0]).toEqual({ row: q, score: expect.closeTo(1, 12) });
    }
  });

  it('searchByRow leaves the query row out and caps k at count − 1', () => {
    const hits = index.searchByRow(5, 10);
    expect(hits.map((h) => h.row)).toEqual(bruteForce(rows, rows[5], 10, 5).map((h) => h.row));
    expect(hits.some((h) => h.row === 5)).toBe(false);
    const tiny = indexOf(rows.slice(0, 3));
    expect(
      tiny
        .searchByRow(1, 10)
        .map((h) => h.row)
        .sort(),
    ).toEqual([0, 2]);
    expect(tiny.searchByVector(rows[0], 10)).toHaveLength(3);
    expect(indexOf(rows.slice(0, 1)).searchByRow(0, 5)).toEqual([]);
  });

  it('lsh search with every row as a candidate equals exact search', () => {
    const q = rows[42];
    expect(index.searchWith(q, 10, { kind: 'lsh', candidates: 599 }, 42)).toEqual(index.searchByRow(42, 10));
  });

  it('lsh candidates are the rows nearest in Hamming distance', () => {
    // With k = candidates, the re-rank keeps all candidates: they must be a Hamming-nearest set.
    const q = rows[7];
    const qc = index.codeOf(q);
    const hamming = (row: number) =>
      index.code(row).reduce((s, w, i) => s + ((w ^ qc[i]) >>> 0).toString(2).split('1').length - 1, 0);
    const got = index.searchWith(q, 50, { kind: 'lsh', candidates: 50 }).map((h) => hamming(h.row));
    const all = rows.map((_, r) => hamming(r)).sort((a, b) => a - b);
    expect(got.sort((a, b) => a - b)).toEqual(all.slice(0, 50));
  });

  it('gives zero scores to an all-zero query', () => {
    const hits = index.searchByVector(new Int8Array(32), 3);
    expect(hits.map((h) => h.score)).toEqual([0, 0, 0]);
    expect(hits.map((h) => h.row)).toEqual([0, 1, 2]);
  });

  it('rejects bad queries', () => {
    expect(() => index.searchByRow(600, 1)).toThrow(/row must be/);
    expect(() => index.searchByRow(-1, 1)).toThrow(/row must be/);
    expect(() => index.searchByRow(1.5, 1)).toThrow(/row must be/);
    expect(() => index.searchByRow(1, 0)).toThrow(/k must be/);
    expect(() => index.searchByVector(new Int8Array(31), 1)).toThrow(/31 dims/);
    expect(() => index.searchByVector(new Float32Array(32) as unknown as Int8Array, 1)).toThrow(/Int8Array/);
    expect(() => index.searchWith(rows[0], 1, { kind: 'lsh', candidates: 0 })).toThrow(/candidates/);
  });

  it('reaches recall@10 ≥ 0.95 against exact int8 search with the default strategy', () => {
    const big = clusteredRows(12_000, 96, 2);
    const bigIndex = indexOf(big);
    const strategy = defaultSearchStrategy(big.length, 10);
    expect(strategy.kind).toBe('lsh');
    let found = 0;
    const queries = 100;
    for (let i = 0; i < queries; i++) {
      const row = i * 97;
      const exact = new Set(bigIndex.searchWith(big[row], 10, { kind: 'exact' }, row).map((h) => h.row));
      for (const h of bigIndex.searchWith(big[row], 10, strategy, row)) if (exact.has(h.row)) found++;
    }
    expect(found / (queries * 10)).toBeGreaterThanOrEqual(0.95);
    // With the WebAssembly scan, the default is the exact scan itself: faster than LSH at this size.
    for (const row of [0, 970, 9700])
      expect(bigIndex.searchByRow(row, 10)).toEqual(
        bigIndex.searchWith(big[row], 10, { kind: 'exact' }, row),
      );
  });
});

describe('defaultSearchStrategy', () => {
  it('scans small collections exactly and re-ranks a fraction of large ones', () => {
    expect(defaultSearchStrategy(1, 1)).toEqual({ kind: 'exact' });
    expect(defaultSearchStrategy(4096, 10)).toEqual({ kind: 'exact' });
    expect(defaultSearchStrategy(4097, 10)).toEqual({ kind: 'lsh', candidates: 512 });
    expect(defaultSearchStrategy(30_000, 10)).toEqual({ kind: 'lsh', candidates: 1875 });
    expect(defaultSearchStrategy(30_000, 300)).toEqual({ kind: 'lsh', candidates: 2400 });
    expect(defaultSearchStrategy(5000, 1000)).toEqual({ kind: 'exact' });
  });

  it('scans every row where the scan runs in WebAssembly SIMD, at any size', () => {
    expect(defaultSearchStrategy(30_000, 10, true)).toEqual({ kind: 'exact' });
    expect(defaultSearchStrategy(1_000_000, 10, true)).toEqual({ kind: 'exact' });
  });
});
