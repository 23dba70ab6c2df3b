import { rejectNewerVersion } from './formatVersion';
import { record } from './jsonChecks';
import type { FileRef } from './manifest';

/*
 * Neighbour lists: each image's k nearest images, found by the builder with the index's own search and
 * stored in small binary shards of consecutive catalog rows (docs/index-format.md "Neighbour lists").
 * An album-image query then reads one shard of a few tens of KB instead of the whole index, so the first
 * result of a visit needs neither the index nor the model; the index loads for own-image queries.
 *
 * Shard layout, little-endian:
 *   0  magic 'LKNB'            4 B
 *   4  version (1)             u16
 *   6  k                       u16
 *   8  first row               u32
 *  12  rows                    u32
 *  16  rows × k positions      u32 (catalog positions; 0xffffffff = none, in collections of ≤ k images)
 *   …  rows × k scores         f32 (cosine of the int8 vectors, as the index scores them)
 * The manifest carries each shard's size and sha256.
 */

const NEIGHBOURS_VERSION = 1;
const MAGIC = [0x4c, 0x4b, 0x4e, 0x42]; // 'LKNB'
const HEADER_BYTES = 16;
export const NO_NEIGHBOUR = 0xffffffff;

/** The manifest's field: the shards in row order, `shardRows` rows each (the last one fewer). */
export interface NeighboursField {
  k: number;
  shardRows: number;
  shards: FileRef[];
}

export interface NeighbourShard {
  firstRow: number;
  rows: number;
  k: number;
  positions: Uint32Array;
  scores: Float32Array;
}

export interface Neighbour {
  position: number;
  score: number;
}

class NeighboursFormatError extends Error {}

/** A few shards even for large collections, so the manifest stays small; ≥ 1,024 rows so they pay a request. */
export function neighbourShardRows(count: number): number {
  return Math.max(1024, Math.ceil(count / 64));
}

export function encodeNeighbourShard(shard: NeighbourShard): Uint8Array {
  const { firstRow, rows, k, positions, scores } = shard;
  if (positions.length !== rows * k || scores.length !== rows * k)
    throw new RangeError(`a shard of ${rows} rows × ${k} needs ${rows * k} positions and scores`);
  const bytes = new Uint8Array(HEADER_BYTES + rows * k * 8);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint16(4, NEIGHBOURS_VERSION, true);
  view.setUint16(6, k, true);
  view.setUint32(8, firstRow, true);
  view.setUint32(12, rows, true);
  let at = HEADER_BYTES;
  for (const p of positions) {
    view.setUint32(at, p, true);
    at += 4;
  }
  for (const s of scores) {
    view.setFloat32(at, s, true);
    at += 4;
  }
  return bytes;
}

/** Decodes and checks a shard against what the manifest says it holds. */
export function decodeNeighbourShard(
  bytes: Uint8Array,
  expected: { firstRow: number; rows: number; k: number; count: number },
): NeighbourShard {
  const fail = (message: string): never => {
    throw new NeighboursFormatError(`invalid neighbour shard: ${message}`);
  };
  if (bytes.length < HEADER_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) fail('wrong magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  rejectNewerVersion('neighbour shard', version, NEIGHBOURS_VERSION);
  if (version !== NEIGHBOURS_VERSION)
    fail(`version ${version}; this reader knows version ${NEIGHBOURS_VERSION}`);
  const k = view.getUint16(6, true);
  const firstRow = view.getUint32(8, true);
  const rows = view.getUint32(12, true);
  if (k !== expected.k || firstRow !== expected.firstRow || rows !== expected.rows)
    fail(
      `holds rows ${firstRow}+${rows} × ${k}, the manifest says ${expected.firstRow}+${expected.rows} × ${expected.k}`,
    );
  if (bytes.length !== HEADER_BYTES + rows * k * 8) fail(`${bytes.length} bytes for ${rows} rows × ${k}`);
  const positions = new Uint32Array(rows * k);
  const scores = new Float32Array(rows * k);
  let at = HEADER_BYTES;
  for (let i = 0; i < positions.length; i++, at += 4) {
    const p = view.getUint32(at, true);
    if (p !== NO_NEIGHBOUR && p >= expected.count)
      fail(`position ${p} of a ${expected.count}-image collection`);
    positions[i] = p;
  }
  for (let i = 0; i < scores.length; i++, at += 4) {
    const s = view.getFloat32(at, true);
    if (!(s >= -1.0001 && s <= 1.0001) && positions[i] !== NO_NEIGHBOUR) fail(`score ${s} is not a cosine`);
    scores[i] = s;
  }
  return { firstRow, rows, k, positions, scores };
}

/** Which shard holds `row`, and the rows it covers. */
export function neighbourShardOf(
  field: NeighboursField,
  count: number,
  row: number,
): { shard: number; firstRow: number; rows: number } {
  const shard = Math.floor(row / field.shardRows);
  const firstRow = shard * field.shardRows;
  return { shard, firstRow, rows: Math.min(field.shardRows, count - firstRow) };
}

/** The first `k` neighbours of `row` (k ≤ the shard's k), best first. */
export function neighboursOf(shard: NeighbourShard, row: number, k: number): Neighbour[] {
  if (row < shard.firstRow || row >= shard.firstRow + shard.rows)
    throw new RangeError(`row ${row} is not in the shard of rows ${shard.firstRow}+${shard.rows}`);
  const out: Neighbour[] = [];
  const from = (row - shard.firstRow) * shard.k;
  for (let i = 0; i < Math.min(k, shard.k); i++) {
    const position = shard.positions[from + i];
    if (position === NO_NEIGHBOUR) break;
    out.push({ position, score: shard.scores[from + i] });
  }
  return out;
}

/** The manifest's `neighbours` field, checked against the collection's size. */
export function parseNeighboursField(
  v: unknown,
  count: number,
  fileRef: (v: unknown, path: string) => FileRef,
): NeighboursField {
  const fail = (path: string, message: string): never => {
    throw new Error(`invalid manifest: neighbours.${path} ${message}`);
  };
  const r = record(v, 'neighbours', (path, message) => fail(path, message));
  const { k, shardRows } = r;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > 1000)
    fail('k', 'must be an integer in 1..1000');
  if (typeof shardRows !== 'number' || !Number.isInteger(shardRows) || shardRows < 1)
    fail('shardRows', 'must be a positive integer');
  if (!Array.isArray(r.shards)) fail('shards', 'must be an array');
  const shards = (r.shards as unknown[]).map((s, i) => fileRef(s, `neighbours.shards[${i}]`));
  const expected = Math.ceil(count / (shardRows as number));
  if (shards.length !== expected)
    fail('shards', `has ${shards.length} entries; ${count} images need ${expected}`);
  const folders = new Set(shards.map((s) => s.path.split('/')[0]));
  if (folders.size > 1 || shards.some((s) => !/^neighbours\.[0-9a-f]{16}\/\d+\.bin$/.test(s.path)))
    fail('shards', 'must all be neighbours.<16 hex>/<n>.bin in one folder');
  return { k: k as number, shardRows: shardRows as number, shards };
}
