import { describe, expect, it } from 'vitest';
import { NewerFormatError } from './formatVersion';
import {
  HEADER_BYTES,
  INDEX_VERSION_INT4_ROWS,
  IndexFormatError,
  NEWEST_INDEX_VERSION,
  decodeIndex,
  decodeIndexData,
  encodeIndex,
} from './indexFormat';
import { bucketOf, codeWords, lshCode, lshPlanes } from './lsh';
import type { ResidentIndexData } from './residentIndex';
import { mulberry32 } from './prng';
import { sha256Bytes } from './sha256';

/** A small but complete index: random int8 (or int4) rows ordered by a 2-bit bucket. */
function sampleData(
  count = 20,
  dims = 8,
  bits = 64,
  inputDim = 12,
  seed = 77,
  rowBits: 4 | 8 = 8,
): ResidentIndexData {
  const next = mulberry32(seed);
  const planes = lshPlanes(seed, bits, dims);
  const max = rowBits === 8 ? 127 : 7;
  const rows = Array.from({ length: count }, () =>
    Int8Array.from({ length: dims }, () => (next() % (2 * max + 1)) - max),
  );
  const codes = rows.map((r) => lshCode(planes, bits, r));
  const bucketBits = 2;
  const order = rows
    .map((_, i) => i)
    .sort((a, b) => bucketOf(codes[a], 0, 2) - bucketOf(codes[b], 0, 2) || a - b);
  const bucketOffsets = new Uint32Array(5);
  for (const c of codes) bucketOffsets[bucketOf(c, 0, bucketBits) + 1]++;
  for (let b = 0; b < 4; b++) bucketOffsets[b + 1] += bucketOffsets[b];
  const data: ResidentIndexData = {
    modelId: 'mobilenet_v2-test ✓',
    transform: {
      inputDim,
      dims,
      mean: Float32Array.from({ length: inputDim }, (_, i) => i / 10),
      projection: Float32Array.from({ length: dims * inputDim }, (_, i) => Math.sin(i)),
      quantScale: 321.5,
    },
    seed,
    bits,
    bucketBits,
    codes: new Uint32Array(count * codeWords(bits)),
    vectors: new Int8Array(count * dims),
    rowBits,
    bucketOffsets,
  };
  order.forEach((src, row) => {
    data.codes.set(codes[src], row * codeWords(bits));
    data.vectors.set(rows[src], row * dims);
  });
  return data;
}

/** decodeIndex must either succeed or throw IndexFormatError, nothing else. */
function decodeOutcome(bytes: Uint8Array): 'ok' | 'format-error' {
  try {
    const index = decodeIndex(bytes);
    index.searchByRow(0, 3);
    index.searchByVector(index.vector(index.count - 1), 3);
    return 'ok';
  } catch (e) {
    // A damaged version field may read as a newer version: also an error, and never a decode.
    if (e instanceof IndexFormatError || e instanceof NewerFormatError) return 'format-error';
    throw e;
  }
}

function resign(bytes: Uint8Array): Uint8Array {
  bytes.set(sha256Bytes(bytes.subarray(48)), 16);
  return bytes;
}

describe('index format v1', () => {
  const data = sampleData();
  const bytes = encodeIndex(data);

  it('round-trips every field', () => {
    const decoded = decodeIndexData(bytes);
    expect(decoded.modelId).toBe(data.modelId);
    expect(decoded.seed).toBe(data.seed);
    expect(decoded.bits).toBe(data.bits);
    expect(decoded.bucketBits).toBe(2);
    expect(decoded.transform.quantScale).toBe(321.5);
    expect(decoded.transform.inputDim).toBe(12);
    expect(decoded.transform.dims).toBe(8);
    expect(decoded.transform.mean).toEqual(data.transform.mean);
    expect(decoded.transform.projection).toEqual(data.transform.projection);
    expect(decoded.codes).toEqual(data.codes);
    expect(decoded.vectors).toEqual(data.vectors);
    expect(decoded.bucketOffsets).toEqual(data.bucketOffsets);
  });

  it('lays sections out 8-byte aligned as views over the input (no copy)', () => {
    const decoded = decodeIndexData(bytes);
    for (const a of [decoded.transform.mean, decoded.transform.projection, decoded.codes, decoded.vectors]) {
      expect(a.buffer).toBe(bytes.buffer);
      expect(a.byteOffset % 8).toBe(0);
    }
    expect(bytes.length % 8).toBe(0);
  });

  it('decodes from a misaligned slice by copying', () => {
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const index = decodeIndex(padded.subarray(3));
    expect(index.count).toBe(20);
    expect(index.vector(4)).toEqual(data.vectors.subarray(32, 40));
  });

  it('gives a searchable index', () => {
    const index = decodeIndex(bytes);
    expect(index.modelId).toBe(data.modelId);
    expect(index.count).toBe(20);
    expect(index.searchByRow(3, 5)).toHaveLength(5);
  });

  it('is deterministic', () => {
    expect(encodeIndex(sampleData())).toEqual(bytes);
  });

  it('holds an index without LSH codes (bits 0): one bucket, exact search', () => {
    const full = sampleData();
    const plain: ResidentIndexData = {
      ...full,
      bits: 0,
      bucketBits: 0,
      codes: new Uint32Array(0),
      bucketOffsets: Uint32Array.of(0, 20),
    };
    const index = decodeIndex(encodeIndex(plain));
    expect(index.bits).toBe(0);
    expect(index.vector(7)).toEqual(full.vectors.subarray(56, 64));
    const exact = decodeIndex(bytes).searchWith(index.vector(7), 5, { kind: 'exact' }, 7);
    expect(index.searchByRow(7, 5)).toEqual(exact);
    // A bucket needs code bits to be read from.
    expect(() => encodeIndex({ ...plain, bucketBits: 1, bucketOffsets: Uint32Array.of(0, 10, 20) })).toThrow(
      /bucketBits/,
    );
  });

  it('names what is wrong', () => {
    const wrongMagic = bytes.slice();
    wrongMagic[0] ^= 1;
    expect(() => decodeIndex(wrongMagic)).toThrow(/wrong magic/);
    const wrongVersion = bytes.slice();
    wrongVersion[8] = 2;
    expect(() => decodeIndex(wrongVersion)).toThrow(/unsupported version 2/);
    wrongVersion[8] = NEWEST_INDEX_VERSION + 1;
    expect(() => decodeIndex(wrongVersion)).toThrow(NewerFormatError);
    expect(() => decodeIndex(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    expect(() => decodeIndex(bytes.subarray(0, 10))).toThrow(/shorter than the 128-byte header/);
    const flipped = bytes.slice();
    flipped[bytes.length - 30] ^= 0x10;
    expect(() => decodeIndex(flipped)).toThrow(/checksum mismatch/);
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(() => decodeIndex(longer)).toThrow(/length mismatch/);
    expect(() => decodeIndex(null as unknown as Uint8Array)).toThrow(IndexFormatError);
  });

  it('rejects rows that are out of bucket order even with a valid checksum', () => {
    const bad = bytes.slice();
    const decoded = decodeIndexData(bytes);
    const codesAt = decoded.codes.byteOffset;
    // Swap the first and last row's code: their buckets differ, so the directory no longer matches.
    const words = codeWords(64) * 4;
    const first = bad.slice(codesAt, codesAt + words);
    const lastAt = codesAt + 19 * words;
    bad.copyWithin(codesAt, lastAt, lastAt + words);
    bad.set(first, lastAt);
    expect(() => decodeIndex(resign(bad))).toThrow(/bucket/);
  });

  it('fuzz: every truncation throws IndexFormatError', () => {
    for (let n = 0; n < bytes.length; n++) expect(decodeOutcome(bytes.subarray(0, n))).toBe('format-error');
  });

  it('fuzz: random single and multi bit flips throw IndexFormatError', () => {
    const next = mulberry32(1);
    for (let trial = 0; trial < 3000; trial++) {
      const bad = bytes.slice();
      const flips = 1 + (trial % 4);
      for (let f = 0; f < flips; f++) bad[next() % bad.length] ^= 1 << (next() % 8);
      // Two flips of the same bit cancel out; that is the original file, which must decode.
      const changed = bad.some((b, i) => b !== bytes[i]);
      expect(decodeOutcome(bad)).toBe(changed ? 'format-error' : 'ok');
    }
  });

  it('fuzz: random bytes throw IndexFormatError, also behind a valid magic, version and length', () => {
    const next = mulberry32(2);
    for (let trial = 0; trial < 500; trial++) {
      const n = next() % 2048;
      const junk = Uint8Array.from({ length: n }, () => next() & 0xff);
      expect(decodeOutcome(junk)).toBe('format-error');
      const framed = Uint8Array.from({ length: HEADER_BYTES + n }, () => next() & 0xff);
      framed.set(bytes.subarray(0, 12));
      new DataView(framed.buffer).setUint32(12, framed.length, true);
      expect(decodeOutcome(framed)).toBe('format-error');
    }
  });

  it('fuzz: corrupted fields with a recomputed checksum decode safely or throw IndexFormatError', () => {
    const next = mulberry32(3);
    const outcomes = { ok: 0, 'format-error': 0 };
    for (let trial = 0; trial < 3000; trial++) {
      const bad = bytes.slice();
      // Mostly the header fields and section table, where a bad value could mislead the reader.
      const at = trial % 2 === 0 ? 48 + (next() % (HEADER_BYTES - 48)) : 48 + (next() % (bad.length - 48));
      bad[at] ^= 1 << (next() % 8);
      outcomes[decodeOutcome(resign(bad))]++;
    }
    expect(outcomes['format-error']).toBeGreaterThan(0);
    expect(outcomes.ok).toBeGreaterThan(0);
  });

  it('refuses to encode inconsistent data', () => {
    const bad = sampleData();
    bad.bucketOffsets[1] = bad.bucketOffsets[2] + 1;
    expect(() => encodeIndex(bad)).toThrow(/bucket/);
    expect(() => encodeIndex({ ...data, codes: data.codes.subarray(2) })).toThrow(/codes/);
  });
});

describe('index format v5 (int4 rows)', () => {
  const data = sampleData(20, 8, 64, 12, 78, 4);
  const bytes = encodeIndex(data);
  const int8Bytes = encodeIndex({ ...data, rowBits: 8 });

  it('stores two values per byte and reads back the same int8 values', () => {
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(INDEX_VERSION_INT4_ROWS);
    const decoded = decodeIndexData(bytes);
    expect(decoded.rowBits).toBe(4);
    expect(decoded.vectors).toEqual(data.vectors);
    expect(decoded.codes).toEqual(data.codes);
    expect(decoded.transform.projection).toEqual(data.transform.projection);
    // 20 rows × 8 dims: 80 bytes instead of 160 (both sections padded to 8).
    expect(int8Bytes.length - bytes.length).toBe(80);
    expect(Array.from(data.vectors).some((v) => v < 0)).toBe(true);
    expect(Math.max(...Array.from(data.vectors, Math.abs))).toBe(7);
  });

  it('searches like the same rows stored as int8', () => {
    const a = decodeIndex(bytes);
    const b = decodeIndex(int8Bytes);
    for (let row = 0; row < 20; row += 3) expect(a.searchByRow(row, 5)).toEqual(b.searchByRow(row, 5));
  });

  it('refuses to encode values outside ±7 or an odd number of dims', () => {
    const wide = sampleData(20, 8, 64, 12, 78, 8);
    expect(() => encodeIndex({ ...wide, rowBits: 4 })).toThrow(/int4 range/);
    const odd = sampleData(20, 7, 64, 12, 78, 4);
    expect(() => encodeIndex(odd)).toThrow(/even number of dims/);
  });

  it('rejects a stored −8 even with a valid checksum', () => {
    const bad = bytes.slice();
    const at = decodeIndexData(bytes).codes.byteOffset + 20 * codeWords(64) * 4;
    bad[at] = 0x08;
    expect(() => decodeIndex(resign(bad))).toThrow(/−8/);
  });

  it('fuzz: truncations and corrupted fields with a recomputed checksum throw IndexFormatError or decode', () => {
    for (let n = 0; n < bytes.length; n += 3)
      expect(decodeOutcome(bytes.subarray(0, n))).toBe('format-error');
    const next = mulberry32(5);
    for (let trial = 0; trial < 2000; trial++) {
      const bad = bytes.slice();
      bad[48 + (next() % (bad.length - 48))] ^= 1 << (next() % 8);
      expect(['ok', 'format-error']).toContain(decodeOutcome(resign(bad)));
    }
  });
});
