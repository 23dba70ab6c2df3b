import { describe, expect, it } from 'vitest';
import { syntheticEmbeddings } from '../testing/syntheticEmbeddings';
import { decodeIndex } from '../core/indexFormat';
import { lshCode, lshPlanes } from '../core/lsh';
import { compactVector, projectEmbedding, quantizeRow } from '../core/vectorTransform';
import { DEFAULT_BITS, DEFAULT_DIMS, WIDE_DIMS, assembleIndex, bucketBitsFor } from './assembleIndex';

describe('assembleIndex', () => {
  it('builds a decodable index whose row i is embeddings[order[i]]', async () => {
    const { embeddings } = syntheticEmbeddings({
      count: 700,
      dim: 128,
      clusters: 35,
      spread: 1,
      seed: 5,
      decay: 1,
    });
    const { bytes, order } = await assembleIndex(embeddings, {
      modelId: 'synthetic',
      seed: 12345,
      bits: 256,
    });
    const index = decodeIndex(bytes);
    expect(index.count).toBe(700);
    expect(index.dims).toBe(DEFAULT_DIMS);
    expect(index.bits).toBe(256);
    expect(index.seed).toBe(12345);
    expect(index.modelId).toBe('synthetic');
    expect([...order].sort((a, b) => a - b)).toEqual(embeddings.map((_, i) => i));
    const planes = lshPlanes(12345, index.bits, index.dims);
    for (const row of [0, 1, 350, 699]) {
      const query = compactVector(index.transform, embeddings[order[row]]);
      expect(index.vector(row)).toEqual(query);
      expect(index.code(row)).toEqual(lshCode(planes, index.bits, query));
      expect(index.searchByVector(query, 1)[0]).toEqual({ row, score: expect.closeTo(1, 9) });
    }
    expect(bytes.length / 700).toBeLessThan(DEFAULT_DIMS + 256 / 8 + 400); // + the transform, amortised
  });

  it('stores no LSH codes by default: 128 B per image, and every query is an exact scan', async () => {
    const { embeddings } = syntheticEmbeddings({ count: 5000, dim: 160, clusters: 100, spread: 1, seed: 8 });
    const { bytes, order } = await assembleIndex(embeddings, { modelId: 'synthetic' });
    const index = decodeIndex(bytes);
    expect(index.dims).toBe(DEFAULT_DIMS);
    expect(index.bits).toBe(DEFAULT_BITS);
    expect(DEFAULT_DIMS + DEFAULT_BITS / 8).toBe(128);
    expect(index.bucketBits).toBe(0);
    expect(index.code(0)).toHaveLength(0);
    expect(() => index.codeOf(index.vector(0))).toThrow(/no LSH codes/);
    // Rows keep their input order (one bucket); the bytes are the vectors plus the transform.
    expect(order).toEqual(embeddings.map((_, i) => i));
    const transformBytes = 4 * 160 * (DEFAULT_DIMS + 1);
    expect(bytes.length - transformBytes).toBeLessThan(5000 * 128 + 1024);
    // Above EXACT_SCAN_MAX_ROWS an index with codes would re-rank LSH candidates; this one scans.
    for (const row of [0, 2500, 4999]) {
      const v = index.vector(row);
      expect(index.searchByRow(row, 10)).toEqual(index.searchWith(v, 10, { kind: 'exact' }, row));
      expect(index.searchWith(v, 10, { kind: 'lsh', candidates: 512 }, row)).toEqual(
        index.searchWith(v, 10, { kind: 'exact' }, row),
      );
    }
  });

  it('stores more than 128 dims as int4 (index v5): 256 dims in the bytes of 128 int8 ones', async () => {
    const { embeddings, labels } = syntheticEmbeddings({
      count: 1200,
      dim: 320,
      clusters: 60,
      spread: 1,
      seed: 9,
    });
    const wide = await assembleIndex(embeddings, { modelId: 'synthetic', dims: WIDE_DIMS });
    const narrow = await assembleIndex(embeddings, { modelId: 'synthetic', dims: DEFAULT_DIMS });
    expect(new DataView(wide.bytes.buffer).getUint32(8, true)).toBe(5);
    expect(new DataView(narrow.bytes.buffer).getUint32(8, true)).toBe(1);
    const index = decodeIndex(wide.bytes);
    expect(index.dims).toBe(WIDE_DIMS);
    // The same row bytes; only the transform grows (4 bytes per input value per extra dim).
    expect(wide.bytes.length - narrow.bytes.length).toBe(4 * 320 * (WIDE_DIMS - DEFAULT_DIMS));
    for (const row of [0, 600, 1199]) {
      const unit = projectEmbedding(index.transform, embeddings[wide.order[row]]);
      const stored = index.vector(row);
      expect(stored).toEqual(quantizeRow(unit, index.transform.quantScale, 4));
      expect(Math.max(...Array.from(stored, Math.abs))).toBeLessThanOrEqual(7);
      // An int8 query (as an own-image query makes) finds its own int4 row first.
      const query = compactVector(index.transform, embeddings[wide.order[row]]);
      expect(index.searchByVector(query, 1)[0].row).toBe(row);
    }
    // Neighbours stay in the cluster about as often as with int8 rows.
    const sameCluster = (bytes: Uint8Array, order: number[]) => {
      const ix = decodeIndex(bytes);
      let same = 0;
      for (let row = 0; row < 1200; row += 10)
        for (const h of ix.searchByRow(row, 5)) same += labels[order[h.row]] === labels[order[row]] ? 1 : 0;
      return same / (120 * 5);
    };
    expect(sameCluster(wide.bytes, wide.order)).toBeGreaterThan(
      sameCluster(narrow.bytes, narrow.order) - 0.05,
    );
  });

  it('finds same-cluster neighbours', async () => {
    const { embeddings, labels } = syntheticEmbeddings({
      count: 600,
      dim: 64,
      clusters: 30,
      spread: 0.8,
      seed: 6,
      decay: 1,
    });
    const { bytes, order } = await assembleIndex(embeddings, { modelId: 'synthetic', dims: 32 });
    const index = decodeIndex(bytes);
    let same = 0;
    for (let row = 0; row < index.count; row++) {
      if (labels[order[index.searchByRow(row, 1)[0].row]] === labels[order[row]]) same++;
    }
    expect(same / index.count).toBeGreaterThan(0.9);
  });

  it('works for collections of 1, 2 and 12 images', async () => {
    const { embeddings } = syntheticEmbeddings({ count: 12, dim: 576, clusters: 3, spread: 1, seed: 7 });
    for (const n of [1, 2, 12]) {
      const { bytes, order } = await assembleIndex(embeddings.slice(0, n), { modelId: 'tiny' });
      const index = decodeIndex(bytes);
      expect(index.count).toBe(n);
      expect(index.dims).toBe(Math.max(1, n - 1));
      expect(order).toHaveLength(n);
      expect(index.searchByRow(0, 20)).toHaveLength(n - 1);
    }
  });

  it('is deterministic', async () => {
    const { embeddings } = syntheticEmbeddings({ count: 50, dim: 40, clusters: 5, spread: 1, seed: 9 });
    expect(await assembleIndex(embeddings, { modelId: 'm' })).toEqual(
      await assembleIndex(embeddings, { modelId: 'm' }),
    );
  });

  it('rejects bad options', async () => {
    const { embeddings } = syntheticEmbeddings({ count: 5, dim: 8, clusters: 1, spread: 1, seed: 1 });
    await expect(assembleIndex(embeddings, { modelId: '' })).rejects.toThrow(/modelId/);
    await expect(assembleIndex(embeddings, { modelId: 'm', bits: 100 })).rejects.toThrow(/multiple of 32/);
    await expect(assembleIndex([], { modelId: 'm' })).rejects.toThrow(/at least one/);
  });
});

describe('bucketBitsFor', () => {
  it('aims at about 128 rows per bucket', async () => {
    expect(bucketBitsFor(1)).toBe(0);
    expect(bucketBitsFor(128)).toBe(0);
    expect(bucketBitsFor(30_000)).toBe(8);
    expect(bucketBitsFor(1_000_000)).toBe(13);
    expect(bucketBitsFor(1e9)).toBe(16);
  });
});
