import { describe, expect, it } from 'vitest';
import { decodeStylePairs, encodeStylePairs, stylePairsCount, stylePairsFileFor } from './stylePairsFile';

const sha = 'ab'.repeat(32);
const a = [Float32Array.of(1, 2, 3), Float32Array.of(0, 0, 1)];
const b = [Float32Array.of(1, 0, 3), Float32Array.of(2, 0, 1)];

describe('style-pairs file', () => {
  it('keeps each pair as its difference over √2, with the model, recipe and its own checksum', () => {
    const pairs = decodeStylePairs(encodeStylePairs(a, b, sha, 3));
    expect(pairs).toMatchObject({ dim: 3, recipe: 3, modelSha256: sha });
    expect(stylePairsCount(pairs)).toBe(2);
    expect(Array.from(pairs.rows)).toEqual([0, 2, 0, -2, 0, 0].map((v) => Math.fround(v / Math.SQRT2)));
    expect(pairs.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(decodeStylePairs(encodeStylePairs(a, b, sha, 4)).sha256).not.toBe(pairs.sha256);
  });

  it('reads from any byte offset', () => {
    const bytes = encodeStylePairs(a, b, sha, 1);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeStylePairs(shifted.subarray(1)).rows).toEqual(decodeStylePairs(bytes).rows);
  });

  it('says what is wrong with a damaged, truncated or foreign file', () => {
    const bytes = encodeStylePairs(a, b, sha, 1);
    const flipped = Buffer.from(bytes);
    flipped[60] ^= 1;
    expect(() => decodeStylePairs(flipped, 'x.bin')).toThrow(/x\.bin: checksum mismatch/);
    expect(() => decodeStylePairs(bytes.subarray(0, bytes.length - 4), 'x.bin')).toThrow(
      /x\.bin: \d+ bytes do not hold 2 pairs of 3 dims/,
    );
    expect(() =>
      decodeStylePairs(Buffer.from('LKEMBED1 and more bytes than a header holds, surely')),
    ).toThrow(/not a style-pairs file/);
  });

  it('rejects pairs that do not pair up', () => {
    expect(() => encodeStylePairs(a, b.slice(1), sha, 1)).toThrow(/2 and 1 embeddings/);
    expect(() => encodeStylePairs([], [], sha, 1)).toThrow(/at least one/);
    expect(() => encodeStylePairs(a, [b[0], Float32Array.of(1)], sha, 1)).toThrow(/pair 1 has 3 and 1 dims/);
    expect(() => encodeStylePairs(a, b, 'model', 1)).toThrow(/64 hex/);
  });

  it('sits next to its model spec', () => {
    expect(stylePairsFileFor('/m/mobilenet_v2_mid.json')).toBe('/m/mobilenet_v2_mid.style-pairs.bin');
  });
});
