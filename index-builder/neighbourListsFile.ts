import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentHash } from './contentAddress';
import type { ListState } from './neighbourLists';

/*
 * The file a resident build leaves for the next one's neighbour lists (neighbourLists.ts):
 * neighbour-lists.bin next to the manifest, private (never deployed), rewritten by each resident build.
 * Little-endian (docs/index-format.md):
 *   "LKNLST01"; k, rows, JSON bytes (uint32 each); key (32 bytes)
 *   JSON {"ids": [...], "hashes": [...]} (row order), then zero bytes to a multiple of 8
 *   rows × k neighbour rows (uint32), then zero bytes to a multiple of 8
 *   rows × k scores (float64)
 *   sha256 of everything above (32 bytes)
 */

export const NEIGHBOUR_LISTS_FILE = 'neighbour-lists.bin';
const MAGIC = Buffer.from('LKNLST01', 'latin1');
const HEADER_BYTES = MAGIC.length + 12 + 32;

/** The lists and the key of what their rows' vectors were (transform, blend): reusable only under the same key. */
export interface SavedLists {
  key: Buffer;
  state: ListState;
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

export function encodeSavedLists({ key, state }: SavedLists): Uint8Array {
  const json = Buffer.from(JSON.stringify({ ids: state.ids, hashes: state.hashes }), 'utf8');
  const cells = state.ids.length * state.k;
  const at0 = HEADER_BYTES + pad8(json.length);
  const at1 = at0 + pad8(cells * 4);
  const body = Buffer.alloc(at1 + cells * 8);
  MAGIC.copy(body, 0);
  body.writeUInt32LE(state.k, 8);
  body.writeUInt32LE(state.ids.length, 12);
  body.writeUInt32LE(json.length, 16);
  key.copy(body, 20, 0, 32);
  json.copy(body, HEADER_BYTES);
  Buffer.from(state.rows.buffer, state.rows.byteOffset, cells * 4).copy(body, at0);
  Buffer.from(state.scores.buffer, state.scores.byteOffset, cells * 8).copy(body, at1);
  return Buffer.concat([body, Buffer.from(contentHash(body), 'hex')]);
}

/** The lists in `bytes`, or undefined for anything but a whole, intact file of this format. */
export function decodeSavedLists(bytes: Uint8Array): SavedLists | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < HEADER_BYTES + 32 || !b.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const body = b.subarray(0, b.length - 32);
  if (contentHash(body) !== b.toString('hex', body.length)) return undefined;
  const k = b.readUInt32LE(8);
  const rows = b.readUInt32LE(12);
  const jsonBytes = b.readUInt32LE(16);
  const at0 = HEADER_BYTES + pad8(jsonBytes);
  const at1 = at0 + pad8(rows * k * 4);
  if (body.length !== at1 + rows * k * 8) return undefined;
  try {
    const { ids, hashes } = JSON.parse(b.toString('utf8', HEADER_BYTES, HEADER_BYTES + jsonBytes)) as {
      ids: unknown;
      hashes: unknown;
    };
    const strings = (x: unknown): x is string[] =>
      Array.isArray(x) && x.length === rows && x.every((s) => typeof s === 'string');
    if (!strings(ids) || !strings(hashes)) return undefined;
    // Copies: the typed arrays must be aligned and outlive the file's buffer.
    const listRows = new Uint32Array(rows * k);
    const scores = new Float64Array(rows * k);
    for (let i = 0; i < rows * k; i++) {
      listRows[i] = b.readUInt32LE(at0 + 4 * i);
      scores[i] = b.readDoubleLE(at1 + 8 * i);
      if (listRows[i] !== 0xffffffff && listRows[i] >= rows) return undefined;
    }
    return { key: Buffer.from(b.subarray(20, 52)), state: { k, ids, hashes, rows: listRows, scores } };
  } catch {
    return undefined;
  }
}

/** The data dir's saved lists, if any and intact. */
export async function readSavedLists(dataDir: string): Promise<SavedLists | undefined> {
  const bytes = await readFile(join(dataDir, NEIGHBOUR_LISTS_FILE)).catch(() => undefined);
  return bytes === undefined ? undefined : decodeSavedLists(bytes);
}
