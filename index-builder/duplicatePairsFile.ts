import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CELL_CLUSTERING_VERSION, DEFAULT_ROWS_PER_CELL } from './cellClustering';
import { contentHash } from './contentAddress';
import { PROBE_ROWS } from './duplicateDetection';
import { NEIGHBOUR_CELLS } from './pairScan';

/*
 * The file a build leaves for the next one's pair scan (duplicatePairReuse.ts).
 *
 * duplicate-pairs.bin sits next to the manifest, private (never deployed), rewritten by each build
 * (either layout). Little-endian (docs/index-format.md):
 *   "LKPAIR02"; dims, cells, rows, pairs, placed (uint32 each); threshold (float64); key (32 bytes)
 *   centroids: cells × dims int8, then zero bytes to a multiple of 4
 *   probeSizes: cells × uint32
 *   rows × (16-byte content-hash prefix, cell uint32, probe mask uint32), in the order the build scanned
 *   pairs × (a uint32, b uint32, score float64): every compared pair scoring ≥ threshold, a < b
 *   sha256 of everything above (32 bytes)
 */

export const DUPLICATE_PAIRS_FILE = 'duplicate-pairs.bin';
const MAGIC = Buffer.from('LKPAIR02', 'latin1');
const FORMAT = 2;
export const KEY_BYTES = 16;

/**
 * What one build's pair scan leaves for the next. Row numbers are the rows the build scanned: index rows
 * (resident layout) or images in listing order (sharded; its index is laid out from the scan's cells).
 */
export interface PairState {
  key: Buffer;
  dims: number;
  /**
   * Rows placed in a kept cell (nearest centroid) by this and earlier rebuilds since the cells were
   * clustered: past a share of the clustered rows the next build clusters afresh, so a run of small
   * rebuilds cannot stretch the cells for ever.
   */
  placed: number;
  /** Every compared pair scoring at least this is in `pairs`. */
  threshold: number;
  centroids: Int8Array;
  probeSizes: Uint32Array;
  /** Hex content-hash prefix of each row. */
  rowKeys: string[];
  rowCells: Uint32Array;
  probes: Uint32Array;
  pairs: { a: Uint32Array; b: Uint32Array; score: Float64Array };
}

/**
 * What the rows and their pair scan depend on: the published transform's key, the blend, the scan's
 * constants and the cell size it clusters at.
 */
export function pairStateKey(
  transformKey: Buffer,
  blend: unknown,
  rowsPerCell = DEFAULT_ROWS_PER_CELL,
): Buffer {
  const scan = `format=${FORMAT};probe=${PROBE_ROWS};near=${NEIGHBOUR_CELLS};cell=${rowsPerCell};clustering=${CELL_CLUSTERING_VERSION};blend=${JSON.stringify(blend ?? null)}`;
  return Buffer.from(contentHash(Buffer.concat([transformKey, Buffer.from(scan, 'utf8')])), 'hex');
}

export function encodePairState(s: PairState): Uint8Array {
  const cells = s.probeSizes.length;
  const rows = s.rowKeys.length;
  const n = s.pairs.a.length;
  const centroidBytes = Math.ceil((cells * s.dims) / 4) * 4;
  const headerBytes = MAGIC.length + 20 + 8 + 32;
  const size = headerBytes + centroidBytes + 4 * cells + 24 * rows + 16 * n + 32;
  const out = Buffer.alloc(size);
  let at = MAGIC.copy(out, 0);
  for (const x of [s.dims, cells, rows, n, s.placed]) at = out.writeUInt32LE(x, at);
  at = out.writeDoubleLE(s.threshold, at);
  at += s.key.copy(out, at);
  Buffer.from(s.centroids.buffer, s.centroids.byteOffset, s.centroids.byteLength).copy(out, at);
  at += centroidBytes;
  for (const x of s.probeSizes) at = out.writeUInt32LE(x, at);
  for (let r = 0; r < rows; r++) {
    at += out.write(s.rowKeys[r], at, KEY_BYTES, 'hex');
    at = out.writeUInt32LE(s.rowCells[r], at);
    at = out.writeUInt32LE(s.probes[r], at);
  }
  for (let i = 0; i < n; i++) {
    at = out.writeUInt32LE(s.pairs.a[i], at);
    at = out.writeUInt32LE(s.pairs.b[i], at);
    at = out.writeDoubleLE(s.pairs.score[i], at);
  }
  Buffer.from(contentHash(out.subarray(0, at)), 'hex').copy(out, at);
  return out;
}

/** The state in `bytes`, or undefined for anything but a whole, intact file of this format. */
export function decodePairState(bytes: Uint8Array): PairState | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = MAGIC.length + 20 + 8 + 32;
  if (b.length < headerBytes + 32 || !b.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  let at = MAGIC.length;
  const [dims, cells, rows, n, placed] = [0, 1, 2, 3, 4].map((i) => b.readUInt32LE(at + 4 * i));
  at += 20;
  const centroidBytes = Math.ceil((cells * dims) / 4) * 4;
  if (b.length !== headerBytes + centroidBytes + 4 * cells + 24 * rows + 16 * n + 32) return undefined;
  const body = b.subarray(0, b.length - 32);
  if (contentHash(body) !== b.toString('hex', body.length)) return undefined;
  const threshold = b.readDoubleLE(at);
  at += 8;
  const key = Buffer.from(b.subarray(at, at + 32));
  at += 32;
  const centroids = Int8Array.from(b.subarray(at, at + cells * dims), (x) => (x << 24) >> 24);
  at += centroidBytes;
  const probeSizes = new Uint32Array(cells);
  for (let c = 0; c < cells; c++, at += 4) probeSizes[c] = b.readUInt32LE(at);
  const rowKeys: string[] = [];
  const rowCells = new Uint32Array(rows);
  const probes = new Uint32Array(rows);
  for (let r = 0; r < rows; r++, at += 24) {
    rowKeys.push(b.toString('hex', at, at + KEY_BYTES));
    rowCells[r] = b.readUInt32LE(at + KEY_BYTES);
    probes[r] = b.readUInt32LE(at + KEY_BYTES + 4);
    if (rowCells[r] >= cells) return undefined;
  }
  const pairs = { a: new Uint32Array(n), b: new Uint32Array(n), score: new Float64Array(n) };
  for (let i = 0; i < n; i++, at += 16) {
    pairs.a[i] = b.readUInt32LE(at);
    pairs.b[i] = b.readUInt32LE(at + 4);
    pairs.score[i] = b.readDoubleLE(at + 8);
    if (pairs.a[i] >= pairs.b[i] || pairs.b[i] >= rows) return undefined;
  }
  return { key, dims, placed, threshold, centroids, probeSizes, rowKeys, rowCells, probes, pairs };
}

/** The data dir's state, if any and intact. */
export async function readPairState(dataDir: string): Promise<PairState | undefined> {
  const bytes = await readFile(join(dataDir, DUPLICATE_PAIRS_FILE)).catch(() => undefined);
  return bytes === undefined ? undefined : decodePairState(bytes);
}
