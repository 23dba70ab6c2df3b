/*
 * Just enough of the WebAssembly binary format to write a module of exported functions over one
 * imported memory (https://webassembly.github.io/spec/core/binary/). The scan kernels (core/rowDots.ts)
 * are written as instruction bytes in TypeScript rather than shipped as a compiled .wasm: the same
 * source serves Node and the browser, nothing is fetched, and no build step makes a binary file.
 */

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb: ${n} is not a non-negative integer`);
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31)
    throw new RangeError(`sleb: ${n} is not a 32-bit integer`);
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const named = (s: string) => [...uleb(utf8(s).length), ...utf8(s)];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

export const I32 = 0x7f;
export const V128 = 0x7b;

/** One exported function: its parameter types (no results) and its locals after them. */
export interface WasmFunction {
  name: string;
  params: number[];
  locals: number[];
  /** The body's instructions, without the final `end`. */
  code: number[];
}

/** A module importing `env.memory` (at least `minPages` pages of 64 KiB) and exporting `functions`. */
export function wasmModule(functions: WasmFunction[], minPages = 1): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), 0x00]);
  const bodies = functions.map((f) => {
    // Locals as runs of one type each.
    const runs: number[][] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const body = [...vector(runs), ...f.code, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([[...named('env'), ...named('memory'), 0x02, 0x00, ...uleb(minPages)]])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...named(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(bodies)),
  ]);
}

/** The instructions the kernels use, by their text-format names. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  i32Const: (n: number) => [0x41, ...sleb(n)],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Shl: [0x74],
  /** i32.store with 4-byte alignment. */
  i32Store: [0x36, 0x02, 0x00],
  /** v128.load with 16-byte alignment at a constant offset. */
  v128Load: (offset = 0) => [0xfd, ...uleb(0x00), 0x04, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  i32x4ExtractLane: (lane: number) => [0xfd, ...uleb(0x1b), lane],
  i8x16Shl: [0xfd, ...uleb(0x6b)],
  i8x16ShrS: [0xfd, ...uleb(0x6c)],
  i32x4ExtAddPairwiseI16x8S: [0xfd, ...uleb(0x7e)],
  i16x8Add: [0xfd, ...uleb(0x8e)],
  i16x8ExtMulLowI8x16S: [0xfd, ...uleb(0x9c)],
  i16x8ExtMulHighI8x16S: [0xfd, ...uleb(0x9d)],
  i32x4Add: [0xfd, ...uleb(0xae)],
};
