import { I32, V128, op, wasmModule, type WasmFunction } from './wasmModule';

/*
 * The exact scan's integer dot products of one query with every row of an index, in WebAssembly SIMD
 * where the runtime has it (every current browser and Node ≥ 16). The scan is an own-image search's
 * whole search step, and in JavaScript it costs a few ms per 10,000 rows (core/residentIndex.ts, table
 * scan for int4); 16 values per instruction make it several times faster. The products are exact
 * integers either way, so the results do not depend on which runs.
 *
 * Rows are copied into the instance's memory once, each padded with zeros to whole 16-byte blocks
 * (16 int8 values, or 32 int4 values packed two per byte, even dims in the low nibble).
 */

// Parameters of both kernels: query, rows, count, blocks per row, out (byte offsets and counts).
const [Q, ROWS, COUNT, BLOCKS, OUT] = [0, 1, 2, 3, 4];
// Locals after them.
const [ROW, BLOCK, P, QP, ACC, V, LO, HI, S] = [5, 6, 7, 8, 9, 10, 11, 12, 13];
const LOCALS = [I32, I32, I32, I32, V128, V128, V128, V128, V128];

/**
 * `for (row = 0; row < count; row++) { acc = 0; for (block = 0; block < blocks; block++) { <step>;
 * p += 16; qp += qStride } out[row] = sum of acc's lanes }`, with p walking the rows and qp the query.
 */
function rowLoop(step: number[], qStride: number): number[] {
  return [
    ...op.get(ROWS),
    ...op.set(P),
    ...op.block,
    ...op.loop,
    ...[...op.get(ROW), ...op.get(COUNT), ...op.i32GeU, ...op.brIf(1)],
    ...[...op.v128Zero, ...op.set(ACC), ...op.get(Q), ...op.set(QP), ...op.i32Const(0), ...op.set(BLOCK)],
    ...op.block,
    ...op.loop,
    ...[...op.get(BLOCK), ...op.get(BLOCKS), ...op.i32GeU, ...op.brIf(1)],
    ...step,
    ...[...op.get(P), ...op.i32Const(16), ...op.i32Add, ...op.set(P)],
    ...[...op.get(QP), ...op.i32Const(qStride), ...op.i32Add, ...op.set(QP)],
    ...[...op.get(BLOCK), ...op.i32Const(1), ...op.i32Add, ...op.set(BLOCK)],
    ...op.br(0),
    ...op.end,
    ...op.end,
    // out[row] = the four lanes' sum
    ...[...op.get(OUT), ...op.get(ROW), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add],
    ...[...op.get(ACC), ...op.i32x4ExtractLane(0), ...op.get(ACC), ...op.i32x4ExtractLane(1), ...op.i32Add],
    ...[...op.get(ACC), ...op.i32x4ExtractLane(2), ...op.get(ACC), ...op.i32x4ExtractLane(3), ...op.i32Add],
    ...[...op.i32Add, ...op.i32Store],
    ...[...op.get(ROW), ...op.i32Const(1), ...op.i32Add, ...op.set(ROW)],
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

/** acc += pairwise sums of (v × q), 16 int8 values; each product fits i16 (|−128 × −128| = 2^14). */
const int8Step = [
  ...[...op.get(P), ...op.v128Load(), ...op.set(V), ...op.get(QP), ...op.v128Load(), ...op.set(S)],
  ...[
    ...op.get(ACC),
    ...op.get(V),
    ...op.get(S),
    ...op.i16x8ExtMulLowI8x16S,
    ...op.i32x4ExtAddPairwiseI16x8S,
  ],
  ...op.i32x4Add,
  ...[...op.get(V), ...op.get(S), ...op.i16x8ExtMulHighI8x16S, ...op.i32x4ExtAddPairwiseI16x8S],
  ...[...op.i32x4Add, ...op.set(ACC)],
];

/**
 * 32 int4 values: the low nibbles sign-extended by shifting left then arithmetically right, the high
 * ones by the right shift alone, each multiplied by the query's even or odd dims (stored apart, 16 even
 * then 16 odd per block). Four products of ≤ 7 × 128 sum within i16 before widening.
 */
const int4Step = [
  ...[...op.get(P), ...op.v128Load(), ...op.set(V)],
  ...[...op.get(V), ...op.i32Const(4), ...op.i8x16Shl, ...op.i32Const(4), ...op.i8x16ShrS, ...op.set(LO)],
  ...[...op.get(V), ...op.i32Const(4), ...op.i8x16ShrS, ...op.set(HI)],
  ...[...op.get(QP), ...op.v128Load(), ...op.set(V), ...op.get(QP), ...op.v128Load(16), ...op.set(S)],
  ...[...op.get(LO), ...op.get(V), ...op.i16x8ExtMulLowI8x16S, ...op.get(LO), ...op.get(V)],
  ...[...op.i16x8ExtMulHighI8x16S, ...op.i16x8Add],
  ...[...op.get(HI), ...op.get(S), ...op.i16x8ExtMulLowI8x16S, ...op.get(HI), ...op.get(S)],
  ...[...op.i16x8ExtMulHighI8x16S, ...op.i16x8Add, ...op.i16x8Add],
  ...[...op.i32x4ExtAddPairwiseI16x8S, ...op.get(ACC), ...op.i32x4Add, ...op.set(ACC)],
];

const PARAMS = [I32, I32, I32, I32, I32];
const KERNELS: WasmFunction[] = [
  { name: 'dotsInt8', params: PARAMS, locals: LOCALS, code: rowLoop(int8Step, 16) },
  { name: 'dotsInt4', params: PARAMS, locals: LOCALS, code: rowLoop(int4Step, 32) },
];

type Kernel = (query: number, rows: number, count: number, blocks: number, out: number) => void;

interface WasmRuntime {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
}

let compiled: { runtime: WasmRuntime; module: object } | null | undefined;

/** The kernels' module, compiled once; null where WebAssembly or its SIMD is missing. */
function kernelModule(): { runtime: WasmRuntime; module: object } | null {
  if (compiled !== undefined) return compiled;
  const runtime = (globalThis as { WebAssembly?: WasmRuntime }).WebAssembly;
  const bytes = wasmModule(KERNELS);
  compiled = runtime?.validate(bytes) ? { runtime, module: new runtime.Module(bytes) } : null;
  return compiled;
}

const PAGE = 65536;

/** Dot products of a query with every row of one index, held in a WebAssembly instance's memory. */
export class RowDots {
  private readonly memory: ArrayBuffer;
  private readonly kernel: Kernel;
  private readonly query: Int8Array;
  private readonly out: Int32Array;
  private readonly rowsAt: number;

  private constructor(
    runtime: WasmRuntime,
    module: object,
    private readonly dims: number,
    private readonly rowBits: 4 | 8,
    private readonly count: number,
    private readonly blocks: number,
  ) {
    // [query: 32 bytes per block][rows: count × blocks × 16][out: count × 4]
    const queryBytes = blocks * 32;
    const rowBytes = count * blocks * 16;
    const memory = new runtime.Memory({
      initial: Math.ceil((queryBytes + rowBytes + count * 4) / PAGE) || 1,
    });
    const { exports } = new runtime.Instance(module, { env: { memory } });
    this.memory = memory.buffer;
    this.kernel = exports[rowBits === 4 ? 'dotsInt4' : 'dotsInt8'] as Kernel;
    this.query = new Int8Array(this.memory, 0, queryBytes);
    this.rowsAt = queryBytes;
    this.out = new Int32Array(this.memory, queryBytes + rowBytes, count);
  }

  /**
   * `vectors` (count × dims int8; with rowBits 4 every value within ±7) copied into a new instance;
   * null where WebAssembly SIMD is missing, so that the caller scans in JavaScript.
   */
  static create(vectors: Int8Array, dims: number, rowBits: 4 | 8): RowDots | null {
    const kernels = kernelModule();
    if (kernels === null || vectors.length === 0) return null;
    if (rowBits === 4 && dims % 2 !== 0)
      throw new RangeError(`int4 rows need an even number of dims, got ${dims}`);
    const count = vectors.length / dims;
    const blocks = Math.ceil(dims / (rowBits === 4 ? 32 : 16));
    const dots = new RowDots(kernels.runtime, kernels.module, dims, rowBits, count, blocks);
    const rows = new Uint8Array(dots.memory, dots.rowsAt, count * blocks * 16);
    for (let row = 0; row < count; row++) {
      const from = row * dims;
      const to = row * blocks * 16;
      if (rowBits === 8) {
        rows.set(new Uint8Array(vectors.buffer, vectors.byteOffset + from, dims), to);
        continue;
      }
      for (let d = 0; d < dims; d += 2)
        rows[to + d / 2] = (vectors[from + d] & 0xf) | ((vectors[from + d + 1] & 0xf) << 4);
    }
    return dots;
  }

  /** Every row's dot product with `query` (dims int8), in row order: valid until the next call. */
  dots(query: Int8Array): Int32Array {
    if (query.length !== this.dims)
      throw new RangeError(`query has ${query.length} dims, the rows have ${this.dims}`);
    const q = this.query;
    q.fill(0);
    if (this.rowBits === 8) q.set(query);
    // int4 blocks hold 32 dims: their 16 even dims first, then their 16 odd ones.
    else for (let d = 0; d < this.dims; d++) q[(d >> 5) * 32 + (d & 1) * 16 + ((d & 31) >> 1)] = query[d];
    this.kernel(0, this.rowsAt, this.count, this.blocks, this.out.byteOffset);
    return this.out;
  }
}
