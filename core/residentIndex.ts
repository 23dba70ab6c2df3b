import { fillInt4DotTable, packInt4IfInRange } from './int4Rows';
import { RowDots } from './rowDots';
import { assertLshShape, bucketOf, codeWords, lshCode, lshPlanes, popcount32 } from './lsh';
import { TopK } from './topK';
import { assertVectorTransform, type RowBits, type VectorTransform } from './vectorTransform';

export interface SearchHit {
  row: number;
  /** Cosine of the int8 vectors, in [-1, 1]; 0 when either vector is all zeros. */
  score: number;
}

/**
 * The resident layout's index, held in memory: scanned exactly, or, when built with LSH codes
 * (`--bits`), searched by Hamming distance first (defaultSearchStrategy).
 */
export interface ResidentIndex {
  readonly count: number;
  readonly dims: number;
  readonly bits: number;
  readonly modelId: string;
  /** Seed of the hyperplanes (core/lsh.ts lshPlanes), so callers can compute query codes. */
  readonly seed: number;
  readonly transform: VectorTransform;
  vector(row: number): Int8Array;
  code(row: number): Uint32Array;
  /** The query row itself is left out; k is capped at count − 1. */
  searchByRow(row: number, k: number): SearchHit[];
  /** k is capped at count. */
  searchByVector(v: Int8Array, k: number): SearchHit[];
}

/** Everything an index holds; rows are ordered by bucket (the first bucketBits bits of their code). */
export interface ResidentIndexData {
  modelId: string;
  transform: VectorTransform;
  seed: number;
  bits: number;
  bucketBits: number;
  /** count × bits/32 words. */
  codes: Uint32Array;
  /** count × dims. */
  vectors: Int8Array;
  /** How the file stores `vectors`: int8, or int4 (every value in −7..7; core/vectorTransform.ts rowBitsFor). */
  rowBits: RowBits;
  /** 2^bucketBits + 1 entries: bucket b holds rows bucketOffsets[b] ..< bucketOffsets[b+1]. */
  bucketOffsets: Uint32Array;
}

/**
 * How a query is answered: `exact` scores every row; `lsh` takes the `candidates` rows nearest in
 * Hamming distance and re-ranks only those by int8 cosine.
 */
export type SearchStrategy = { kind: 'exact' } | { kind: 'lsh'; candidates: number };

/**
 * Below this many rows a full int8 scan costs about as much as the Hamming scan alone, so LSH would
 * only lose recall (docs/index-tradeoff.md).
 */
export const EXACT_SCAN_MAX_ROWS = 4096;
/** Candidates re-ranked per query: a fraction of the collection, with a floor (docs/index-tradeoff.md). */
export const LSH_CANDIDATE_FRACTION = 1 / 16;
export const LSH_MIN_CANDIDATES = 512;

/**
 * `simdScan`: the exact scan runs in WebAssembly SIMD (core/rowDots.ts), which is faster than the
 * Hamming scan and re-ranking at every size measured (100,000 rows: 1.7 against 4.6 ms,
 * docs/index-tradeoff.md), so every query scans exactly; LSH pays only for the JavaScript scan.
 */
export function defaultSearchStrategy(count: number, k: number, simdScan = false): SearchStrategy {
  if (simdScan || count <= EXACT_SCAN_MAX_ROWS) return { kind: 'exact' };
  const candidates = Math.max(LSH_MIN_CANDIDATES, 8 * k, Math.ceil(count * LSH_CANDIDATE_FRACTION));
  return candidates >= count ? { kind: 'exact' } : { kind: 'lsh', candidates };
}

export function assertK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
}

/** Checks that the arrays agree with each other; cheap (one pass over the codes' first words). */
export function assertIndexData(data: ResidentIndexData): void {
  const { transform, seed, bits, bucketBits, codes, vectors, rowBits, bucketOffsets, modelId } = data;
  if (typeof modelId !== 'string' || modelId.length === 0)
    throw new RangeError('index modelId must be non-empty');
  assertVectorTransform(transform);
  // bits 0: an index without codes.
  if (bits !== 0) assertLshShape(bits, transform.dims);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError(`seed ${seed} is not a u32`);
  const dims = transform.dims;
  const words = codeWords(bits);
  if (vectors.length % dims !== 0)
    throw new RangeError(`vectors length ${vectors.length} is not a multiple of ${dims}`);
  const count = vectors.length / dims;
  if (count < 1) throw new RangeError('an index needs at least one row');
  if (rowBits !== 8 && rowBits !== 4) throw new RangeError(`rowBits ${rowBits} must be 8 or 4`);
  // Whether int4 rows hold only ±7 is checked where it can go wrong: when they are written (encodeIndex).
  if (rowBits === 4 && dims % 2 !== 0)
    throw new RangeError(`int4 rows need an even number of dims, got ${dims}`);
  if (codes.length !== count * words) {
    throw new RangeError(`codes have ${codes.length} words, expected ${count}×${words}`);
  }
  if (!Number.isInteger(bucketBits) || bucketBits < 0 || bucketBits > 24 || bucketBits > bits) {
    throw new RangeError(`bucketBits must be in 0..24, got ${bucketBits}`);
  }
  const buckets = 2 ** bucketBits;
  if (bucketOffsets.length !== buckets + 1) {
    throw new RangeError(`bucket directory has ${bucketOffsets.length} entries, expected ${buckets + 1}`);
  }
  if (bucketOffsets[0] !== 0 || bucketOffsets[buckets] !== count) {
    throw new RangeError('bucket directory must start at 0 and end at count');
  }
  for (let b = 0; b < buckets; b++) {
    const start = bucketOffsets[b];
    const end = bucketOffsets[b + 1];
    if (end < start) throw new RangeError(`bucket directory decreases at bucket ${b}`);
    for (let row = start; row < end; row++) {
      if (bucketOf(codes, row * words, bucketBits) !== b) {
        throw new RangeError(`row ${row} is stored in bucket ${b} but its code says otherwise`);
      }
    }
  }
}

/** The searchable in-memory index over typed arrays (views into the index file when decoded). */
export class InMemoryResidentIndex implements ResidentIndex {
  readonly count: number;
  readonly dims: number;
  readonly bits: number;
  readonly modelId: string;
  readonly seed: number;
  readonly transform: VectorTransform;
  readonly bucketBits: number;
  readonly bucketOffsets: Uint32Array;
  private readonly words: number;
  private readonly codes: Uint32Array;
  private readonly vectors: Int8Array;
  /** The rows in a WebAssembly SIMD instance for the exact scan (core/rowDots.ts); null without it. */
  private readonly rowDots: RowDots | null;
  /**
   * Without rowDots: the rows of an int4 index packed again, two values per byte, for the table scan
   * (else null).
   */
  private readonly packedRows: Uint8Array | null;
  /** Scratch: the query's int4 dot table (core/int4Rows.ts). */
  private readonly dotTable: Int32Array;
  /** 1/‖row‖ (0 for all-zero rows), so a cosine is one dot product and two multiplies. */
  private readonly invNorms: Float64Array;
  private readonly planes: Float64Array;
  // Scratch reused by every query: a worker answers one query at a time.
  private readonly distances: Uint16Array;
  private readonly histogram: Int32Array;
  private readonly candidateRows: Int32Array;
  private readonly queryCode: Uint32Array;

  constructor(data: ResidentIndexData) {
    assertIndexData(data);
    this.modelId = data.modelId;
    this.transform = data.transform;
    this.dims = data.transform.dims;
    this.bits = data.bits;
    this.seed = data.seed;
    this.bucketBits = data.bucketBits;
    this.bucketOffsets = data.bucketOffsets;
    this.words = codeWords(data.bits);
    this.codes = data.codes;
    this.vectors = data.vectors;
    this.count = data.vectors.length / this.dims;
    const packed = data.rowBits === 4 ? packInt4IfInRange(data.vectors) : null;
    this.rowDots = RowDots.create(data.vectors, this.dims, packed === null ? 8 : 4);
    this.packedRows = this.rowDots === null ? packed : null;
    this.dotTable = new Int32Array(this.packedRows === null ? 0 : (this.dims / 2) * 256);
    this.invNorms = new Float64Array(this.count);
    const { dims, vectors } = this;
    for (let row = 0, off = 0; row < this.count; row++, off += dims) {
      let n2 = 0;
      for (let d = 0; d < dims; d++) n2 += vectors[off + d] * vectors[off + d];
      this.invNorms[row] = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    }
    // An index without codes (bits 0) answers every query with the exact scan.
    this.planes = this.bits > 0 ? lshPlanes(this.seed, this.bits, this.dims) : new Float64Array(0);
    this.distances = new Uint16Array(this.count);
    this.histogram = new Int32Array(this.bits + 1);
    this.candidateRows = new Int32Array(this.count);
    this.queryCode = new Uint32Array(this.words);
  }

  private assertRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.count) {
      throw new RangeError(`row must be an integer in 0..${this.count - 1}, got ${row}`);
    }
  }

  vector(row: number): Int8Array {
    this.assertRow(row);
    return this.vectors.subarray(row * this.dims, (row + 1) * this.dims);
  }

  code(row: number): Uint32Array {
    this.assertRow(row);
    return this.codes.subarray(row * this.words, (row + 1) * this.words);
  }

  /** The LSH code of any int8 vector under this index's planes. */
  codeOf(v: Int8Array): Uint32Array {
    this.assertQuery(v);
    if (this.bits === 0) throw new RangeError('this index has no LSH codes (bits 0)');
    return lshCode(this.planes, this.bits, v);
  }

  searchByRow(row: number, k: number): SearchHit[] {
    this.assertRow(row);
    assertK(k);
    const kk = Math.min(k, this.count - 1);
    if (kk === 0) return [];
    return this.run(this.vector(row), kk, defaultSearchStrategy(this.count, kk, this.rowDots !== null), row);
  }

  searchByVector(v: Int8Array, k: number): SearchHit[] {
    this.assertQuery(v);
    assertK(k);
    const kk = Math.min(k, this.count);
    return this.run(v, kk, defaultSearchStrategy(this.count, kk, this.rowDots !== null), -1);
  }

  /** Like searchByVector/searchByRow but with an explicit strategy (benchmarks, tests). */
  searchWith(v: Int8Array, k: number, strategy: SearchStrategy, excludeRow = -1): SearchHit[] {
    this.assertQuery(v);
    assertK(k);
    if (excludeRow !== -1) this.assertRow(excludeRow);
    const kk = Math.min(k, excludeRow === -1 ? this.count : this.count - 1);
    if (kk === 0) return [];
    if (strategy.kind === 'lsh' && (!Number.isInteger(strategy.candidates) || strategy.candidates < 1)) {
      throw new RangeError(`candidates must be a positive integer, got ${strategy.candidates}`);
    }
    return this.run(v, kk, strategy, excludeRow);
  }

  private assertQuery(v: Int8Array): void {
    if (!(v instanceof Int8Array)) throw new TypeError('query vector must be an Int8Array');
    if (v.length !== this.dims)
      throw new RangeError(`query vector has ${v.length} dims, the index has ${this.dims}`);
  }

  private run(v: Int8Array, k: number, strategy: SearchStrategy, excludeRow: number): SearchHit[] {
    let qn2 = 0;
    for (let d = 0; d < this.dims; d++) qn2 += v[d] * v[d];
    const invQ = qn2 > 0 ? 1 / Math.sqrt(qn2) : 0;
    const top = new TopK(k);
    if (
      strategy.kind === 'exact' ||
      this.bits === 0 ||
      strategy.candidates + (excludeRow === -1 ? 0 : 1) >= this.count
    ) {
      this.scanExact(v, invQ, excludeRow, top);
    } else {
      const n = this.selectCandidates(v, strategy.candidates, excludeRow);
      this.rerank(v, invQ, n, top);
    }
    return top.sorted();
  }

  private scanExact(v: Int8Array, invQ: number, excludeRow: number, top: TopK): void {
    if (this.rowDots !== null) {
      const dots = this.rowDots.dots(v);
      const { invNorms, count } = this;
      for (let row = 0; row < count; row++) {
        if (row === excludeRow) continue;
        const score = dots[row] * invNorms[row] * invQ;
        if (top.accepts(row, score)) top.push(row, score);
      }
      return;
    }
    if (this.packedRows !== null) {
      this.scanPacked(this.packedRows, v, invQ, excludeRow, top);
      return;
    }
    const { dims, vectors, invNorms, count } = this;
    // The scan is every query of an index without codes: four independent sums per row are about a
    // quarter faster than one in V8 (30,000 × 128 dims: 4.5 against 6.1 ms, loaded machine); the sums
    // are of integers far below 2^53, so the order does not change the result.
    const tail = dims - (dims % 4);
    for (let row = 0, off = 0; row < count; row++, off += dims) {
      if (row === excludeRow) continue;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let d = 0; d < tail; d += 4) {
        d0 += v[d] * vectors[off + d];
        d1 += v[d + 1] * vectors[off + d + 1];
        d2 += v[d + 2] * vectors[off + d + 2];
        d3 += v[d + 3] * vectors[off + d + 3];
      }
      for (let d = tail; d < dims; d++) d0 += v[d] * vectors[off + d];
      const dot = d0 + d1 + d2 + d3;
      const score = dot * invNorms[row] * invQ;
      if (top.accepts(row, score)) top.push(row, score);
    }
  }

  /** scanExact over int4 rows: the same integer dot products, one table lookup per byte of a row. */
  private scanPacked(packed: Uint8Array, v: Int8Array, invQ: number, excludeRow: number, top: TopK): void {
    const { dotTable, invNorms, count } = this;
    fillInt4DotTable(v, dotTable);
    const bytes = this.dims / 2;
    const tail = bytes - (bytes % 4);
    for (let row = 0, off = 0; row < count; row++, off += bytes) {
      if (row === excludeRow) continue;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < tail; j += 4) {
        s0 += dotTable[(j << 8) | packed[off + j]];
        s1 += dotTable[((j + 1) << 8) | packed[off + j + 1]];
        s2 += dotTable[((j + 2) << 8) | packed[off + j + 2]];
        s3 += dotTable[((j + 3) << 8) | packed[off + j + 3]];
      }
      for (let j = tail; j < bytes; j++) s0 += dotTable[(j << 8) | packed[off + j]];
      const score = (s0 + s1 + s2 + s3) * invNorms[row] * invQ;
      if (top.accepts(row, score)) top.push(row, score);
    }
  }

  private rerank(v: Int8Array, invQ: number, n: number, top: TopK): void {
    const { dims, vectors, invNorms, candidateRows } = this;
    for (let i = 0; i < n; i++) {
      const row = candidateRows[i];
      const off = row * dims;
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += v[d] * vectors[off + d];
      const score = dot * invNorms[row] * invQ;
      if (top.accepts(row, score)) top.push(row, score);
    }
  }

  /**
   * Fills candidateRows with the `want` rows nearest in Hamming distance (ties at the cut-off taken in
   * row order) and returns how many it wrote. Distances are small integers, so a histogram finds the
   * cut-off in O(count) without sorting.
   */
  private selectCandidates(v: Int8Array, want: number, excludeRow: number): number {
    const { words, codes, distances, histogram, candidateRows, count } = this;
    const q = lshCode(this.planes, this.bits, v, this.queryCode);
    histogram.fill(0);
    if (words === 8) {
      // A 256-bit code (`--bits 256`), unrolled: this loop is most of the query time.
      const q0 = q[0],
        q1 = q[1],
        q2 = q[2],
        q3 = q[3],
        q4 = q[4],
        q5 = q[5],
        q6 = q[6],
        q7 = q[7];
      for (let row = 0, off = 0; row < count; row++, off += 8) {
        const h =
          popcount32(codes[off] ^ q0) +
          popcount32(codes[off + 1] ^ q1) +
          popcount32(codes[off + 2] ^ q2) +
          popcount32(codes[off + 3] ^ q3) +
          popcount32(codes[off + 4] ^ q4) +
          popcount32(codes[off + 5] ^ q5) +
          popcount32(codes[off + 6] ^ q6) +
          popcount32(codes[off + 7] ^ q7);
        distances[row] = h;
        histogram[h]++;
      }
    } else {
      for (let row = 0, off = 0; row < count; row++, off += words) {
        let h = 0;
        for (let w = 0; w < words; w++) h += popcount32(codes[off + w] ^ q[w]);
        distances[row] = h;
        histogram[h]++;
      }
    }
    if (excludeRow !== -1) histogram[distances[excludeRow]]--;
    // Cut-off: rows with distance < cut are all taken; `room` more are taken at distance == cut.
    let cut = 0;
    let taken = 0;
    while (cut < histogram.length && taken + histogram[cut] <= want) taken += histogram[cut++];
    let room = want - taken;
    let n = 0;
    for (let row = 0; row < count; row++) {
      if (row === excludeRow) continue;
      const h = distances[row];
      if (h < cut) candidateRows[n++] = row;
      else if (h === cut && room > 0) {
        candidateRows[n++] = row;
        room--;
      }
    }
    return n;
  }
}
