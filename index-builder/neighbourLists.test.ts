import { describe, expect, it } from 'vitest';
import { NO_NEIGHBOUR, decodeNeighbourShard } from '../core/neighbourListsFormat';
import { neighbourLists, type ListRows } from './neighbourLists';
import { decodeSavedLists, encodeSavedLists } from './neighbourListsFile';

const DIMS = 12;

/** Seeded int8 rows; every 7th repeats an earlier one, so equal scores (ties) occur. */
function rows(
  count: number,
  seed: number,
  idOf = (i: number) => `id${String(i).padStart(4, '0')}`,
): ListRows {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 255) - 127;
  const vectors = new Int8Array(count * DIMS);
  for (let r = 0; r < count; r++) {
    if (r % 7 === 6) vectors.copyWithin(r * DIMS, (r - 3) * DIMS, (r - 2) * DIMS);
    else for (let d = 0; d < DIMS; d++) vectors[r * DIMS + d] = next();
  }
  const ids = Array.from({ length: count }, (_, i) => idOf(i));
  return { vectors, dims: DIMS, ids, hashes: ids.map((id) => `h-${id}`) };
}

/** The textbook answer: every other row scored, best first, ties to the smaller id. */
function bruteForce(r: ListRows, k: number): { rows: number[]; scores: number[] }[] {
  const n = r.ids.length;
  const inv = Array.from({ length: n }, (_, i) => {
    let n2 = 0;
    for (let d = 0; d < DIMS; d++) n2 += r.vectors[i * DIMS + d] ** 2;
    return n2 > 0 ? 1 / Math.sqrt(n2) : 0;
  });
  return Array.from({ length: n }, (_, a) => {
    const scored: [number, number][] = [];
    for (let b = 0; b < n; b++) {
      if (b === a) continue;
      let dot = 0;
      for (let d = 0; d < DIMS; d++) dot += r.vectors[a * DIMS + d] * r.vectors[b * DIMS + d];
      scored.push([dot * (inv[a] * inv[b]), b]);
    }
    scored.sort((x, y) => y[0] - x[0] || (r.ids[x[1]] < r.ids[y[1]] ? -1 : 1));
    const top = scored.slice(0, k);
    return { rows: top.map(([, b]) => b), scores: top.map(([s]) => s) };
  });
}

function listsOf(state: { k: number; rows: Uint32Array; scores: Float64Array }, count: number) {
  return Array.from({ length: count }, (_, a) => {
    const out = { rows: [] as number[], scores: [] as number[] };
    for (let i = 0; i < state.k && state.rows[a * state.k + i] !== NO_NEIGHBOUR; i++) {
      out.rows.push(state.rows[a * state.k + i]);
      out.scores.push(state.scores[a * state.k + i]);
    }
    return out;
  });
}

describe('neighbourLists', () => {
  it.each([
    [103, 10],
    [9, 10],
    [1, 10],
    [40, 3],
    [1100, 10], // three scan blocks
  ])('are the exact nearest rows, ties to the smaller id (%i rows, k %i)', async (count, k) => {
    const r = rows(count, count);
    const { state, scanned } = await neighbourLists(r, undefined, k);
    expect(listsOf(state, count)).toEqual(bruteForce(r, k));
    expect(scanned).toBe(count);
  });

  it('start a rebuild from the previous lists and give what a scan from scratch gives', async () => {
    const before = rows(120, 5);
    const { state: previous } = await neighbourLists(before);
    // The next collection: rows in another order, 2 gone, 6 new, one image edited (same id, new hash).
    const keep = Array.from({ length: 120 }, (_, i) => i).filter((i) => i % 60 !== 3);
    const added = rows(6, 99, (i) => `new${i}`);
    const order = [
      ...keep.map((i) => ({ from: before, i })),
      ...added.ids.map((_, i) => ({ from: added, i })),
    ]
      .map((x, j) => ({ ...x, sortKey: (j * 37) % 124 }))
      .sort((a, b) => a.sortKey - b.sortKey);
    const after: ListRows = {
      vectors: new Int8Array(order.length * DIMS),
      dims: DIMS,
      ids: order.map((x) => x.from.ids[x.i]),
      hashes: order.map((x) => x.from.hashes[x.i]),
    };
    order.forEach((x, j) =>
      after.vectors.set(x.from.vectors.subarray(x.i * DIMS, (x.i + 1) * DIMS), j * DIMS),
    );
    const edited = after.ids.indexOf('id0050');
    after.hashes[edited] = 'h-edited';
    after.vectors.fill(11, edited * DIMS, (edited + 1) * DIMS);

    const fromScratch = await neighbourLists(after);
    const updated = await neighbourLists(after, previous);
    expect(listsOf(updated.state, order.length)).toEqual(listsOf(fromScratch.state, order.length));
    expect(updated.files).toEqual(fromScratch.files);
    // Scanned: the 6 new rows, the edited one, and the rows whose lists lost a member — not all.
    expect(updated.scanned).toBeGreaterThanOrEqual(7);
    expect(updated.scanned).toBeLessThan(order.length / 2);
    expect((await neighbourLists(after, { ...previous, k: 5 })).scanned).toBe(order.length);
  });

  it('publish shards the site decodes to the same lists, scores as float32', async () => {
    const r = rows(2100, 3);
    const { state, files, manifestField } = await neighbourLists(r);
    expect(manifestField.shardRows).toBe(1024);
    expect(files.map(([p]) => p.replace(/^neighbours\.[0-9a-f]{16}\//, ''))).toEqual([
      '0.bin',
      '1.bin',
      '2.bin',
    ]);
    const shard = decodeNeighbourShard(files[1][1], { firstRow: 1024, rows: 1024, k: 10, count: 2100 });
    expect(Array.from(shard.positions.subarray(0, 10))).toEqual(
      Array.from(state.rows.subarray(10240, 10250)),
    );
    expect(Array.from(shard.scores.subarray(0, 10))).toEqual(
      Array.from(state.scores.subarray(10240, 10250), (s) => Math.fround(s)),
    );
  });

  it('are saved for the next build, and a damaged file is not trusted', async () => {
    const { state } = await neighbourLists(rows(30, 8));
    const key = Buffer.alloc(32, 7);
    const bytes = encodeSavedLists({ key, state });
    expect(decodeSavedLists(bytes)).toEqual({ key, state });
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 100] ^= 1;
    expect(decodeSavedLists(damaged)).toBeUndefined();
    expect(decodeSavedLists(bytes.subarray(0, 40))).toBeUndefined();
  });
});
