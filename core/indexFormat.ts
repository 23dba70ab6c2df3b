import { rejectNewerVersion } from './formatVersion';
import { packInt4, unpackInt4 } from './int4Rows';
import { InMemoryResidentIndex, assertIndexData, type ResidentIndexData } from './residentIndex';
import { codeWords } from './lsh';
import { sha256Bytes } from './sha256';
import { INT4_ROW_MAX, type RowBits } from './vectorTransform';

/**
 * Binary index v1 and v5 (docs/index-format.md): a fixed 128-byte header, the model id, then five
 * sections, each starting on an 8-byte boundary so typed-array views over the file need no copy. v5 is
 * v1 with int4 rows, two per byte; the reader unpacks them to int8 values. (v2–v4 are the sharded
 * layout's cell index, core/cellIndexFormat.ts, which shares the magic.)
 */
export const INDEX_MAGIC = 'LKALIDX\0';
const INDEX_VERSION = 1;
export const INDEX_VERSION_INT4_ROWS = 5;
/** Resident (v1, v5) and sharded (v2–v4) indexes share the magic and one version sequence. */
export const NEWEST_INDEX_VERSION = INDEX_VERSION_INT4_ROWS;
export const HEADER_BYTES = 128;
const SECTION_ALIGN = 8;
const CHECKSUM_OFFSET = 16;
/** The checksum covers every byte from here to the end of the file. */
const CHECKSUMMED_FROM = 48;
const MAX_MODEL_ID_BYTES = 1024;
const MAX_BUCKET_BITS = 24;

/** Section order in the section table; also their order in the file. */
const SECTIONS = ['mean', 'projection', 'codes', 'vectors', 'buckets'] as const;
type SectionName = (typeof SECTIONS)[number];

const O = {
  magic: 0,
  version: 8,
  totalBytes: 12,
  checksum: CHECKSUM_OFFSET,
  headerBytes: 48,
  count: 52,
  inputDim: 56,
  dims: 60,
  bits: 64,
  seed: 68,
  bucketBits: 72,
  modelIdBytes: 76,
  quantScale: 80,
  sectionTable: 88,
} as const;

/** Thrown for any index file that is not a valid v1 index; `message` says what is wrong. */
export class IndexFormatError extends Error {
  override name = 'IndexFormatError';
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function align(n: number): number {
  return Math.ceil(n / SECTION_ALIGN) * SECTION_ALIGN;
}

function sectionBytes(
  h: { inputDim: number; dims: number; bits: number; bucketBits: number; rowBits: RowBits },
  count: number,
): Record<SectionName, number> {
  return {
    mean: h.inputDim * 4,
    projection: h.dims * h.inputDim * 4,
    codes: count * codeWords(h.bits) * 4,
    vectors: (count * h.dims * h.rowBits) / 8,
    buckets: (2 ** h.bucketBits + 1) * 4,
  };
}

function bytesOf(a: Float32Array | Uint32Array | Int8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Serialises an index; the data must satisfy assertIndexData (rows ordered by bucket). */
export function encodeIndex(data: ResidentIndexData): Uint8Array {
  if (!LITTLE_ENDIAN_HOST) throw new Error('encodeIndex: big-endian hosts are not supported');
  assertIndexData(data);
  if (data.rowBits === 4) {
    const { vectors } = data;
    for (let i = 0; i < vectors.length; i++) {
      if (vectors[i] > INT4_ROW_MAX || vectors[i] < -INT4_ROW_MAX)
        throw new RangeError(`vector value ${i} (${vectors[i]}) is outside the int4 range ±${INT4_ROW_MAX}`);
    }
  }
  const modelId = new TextEncoder().encode(data.modelId);
  if (modelId.length > MAX_MODEL_ID_BYTES)
    throw new RangeError(`modelId is longer than ${MAX_MODEL_ID_BYTES} bytes`);
  const count = data.vectors.length / data.transform.dims;
  const { inputDim, dims } = data.transform;
  const { bits, bucketBits, rowBits } = data;
  const lengths = sectionBytes({ inputDim, dims, bits, bucketBits, rowBits }, count);
  const offsets = {} as Record<SectionName, number>;
  let end = align(HEADER_BYTES + modelId.length);
  for (const s of SECTIONS) {
    offsets[s] = end;
    end = align(end + lengths[s]);
  }
  if (end > 0xffffffff) throw new RangeError(`index would be ${end} bytes; v1 is limited to 4 GiB`);

  const out = new Uint8Array(end);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(INDEX_MAGIC), O.magic);
  view.setUint32(O.version, data.rowBits === 4 ? INDEX_VERSION_INT4_ROWS : INDEX_VERSION, true);
  view.setUint32(O.totalBytes, end, true);
  view.setUint32(O.headerBytes, HEADER_BYTES, true);
  view.setUint32(O.count, count, true);
  view.setUint32(O.inputDim, data.transform.inputDim, true);
  view.setUint32(O.dims, data.transform.dims, true);
  view.setUint32(O.bits, data.bits, true);
  view.setUint32(O.seed, data.seed, true);
  view.setUint32(O.bucketBits, data.bucketBits, true);
  view.setUint32(O.modelIdBytes, modelId.length, true);
  view.setFloat64(O.quantScale, data.transform.quantScale, true);
  SECTIONS.forEach((s, i) => {
    view.setUint32(O.sectionTable + i * 8, offsets[s], true);
    view.setUint32(O.sectionTable + i * 8 + 4, lengths[s], true);
  });
  out.set(modelId, HEADER_BYTES);
  out.set(bytesOf(data.transform.mean), offsets.mean);
  out.set(bytesOf(data.transform.projection), offsets.projection);
  out.set(bytesOf(data.codes), offsets.codes);
  out.set(data.rowBits === 4 ? packInt4(data.vectors) : bytesOf(data.vectors), offsets.vectors);
  out.set(bytesOf(data.bucketOffsets), offsets.buckets);
  out.set(sha256Bytes(out.subarray(CHECKSUMMED_FROM)), O.checksum);
  return out;
}

function fail(message: string): never {
  throw new IndexFormatError(`invalid index: ${message}`);
}

/** Reads and checks the header and sections; every failure is an IndexFormatError. */
export function decodeIndexData(input: Uint8Array): ResidentIndexData {
  if (!(input instanceof Uint8Array)) fail('expected a Uint8Array');
  if (!LITTLE_ENDIAN_HOST) fail('big-endian hosts are not supported');
  if (input.length < HEADER_BYTES)
    fail(`file is ${input.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  for (let i = 0; i < INDEX_MAGIC.length; i++) {
    if (input[i] !== INDEX_MAGIC.charCodeAt(i)) {
      const hex = Array.from(input.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
      fail(`wrong magic (${hex}), this is not a Lookalike index`);
    }
  }
  // Typed-array views need aligned offsets; a misaligned slice is copied once.
  const bytes = input.byteOffset % SECTION_ALIGN === 0 ? input : input.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (off: number) => view.getUint32(off, true);
  const version = u32(O.version);
  rejectNewerVersion('index', version, NEWEST_INDEX_VERSION);
  if (version !== INDEX_VERSION && version !== INDEX_VERSION_INT4_ROWS)
    fail(
      `unsupported version ${version} (this reader supports ${INDEX_VERSION} and ${INDEX_VERSION_INT4_ROWS})`,
    );
  const rowBits: RowBits = version === INDEX_VERSION_INT4_ROWS ? 4 : 8;
  const totalBytes = u32(O.totalBytes);
  if (totalBytes !== bytes.length) {
    fail(
      totalBytes > bytes.length
        ? `truncated: header says ${totalBytes} bytes, got ${bytes.length}`
        : `length mismatch: header says ${totalBytes} bytes, got ${bytes.length}`,
    );
  }
  const expected = sha256Bytes(bytes.subarray(CHECKSUMMED_FROM));
  const stored = bytes.subarray(O.checksum, O.checksum + 32);
  for (let i = 0; i < 32; i++)
    if (expected[i] !== stored[i]) fail('checksum mismatch, the file is corrupted');

  // The checksum only proves the bytes are what some writer produced; check the fields anyway.
  if (u32(O.headerBytes) !== HEADER_BYTES)
    fail(`header size ${u32(O.headerBytes)}, expected ${HEADER_BYTES}`);
  const count = u32(O.count);
  const inputDim = u32(O.inputDim);
  const dims = u32(O.dims);
  const bits = u32(O.bits);
  const seed = u32(O.seed);
  const bucketBits = u32(O.bucketBits);
  const modelIdBytes = u32(O.modelIdBytes);
  const quantScale = view.getFloat64(O.quantScale, true);
  if (count < 1) fail('count must be ≥ 1');
  if (inputDim < 1 || inputDim > 65536) fail(`inputDim ${inputDim} is out of range`);
  if (dims < 1 || dims > 65536) fail(`dims ${dims} is out of range`);
  if (rowBits === 4 && dims % 2 !== 0) fail(`dims ${dims} must be even for int4 rows`);
  // bits 0: no LSH codes, every query scans the int8 vectors (readers before December 2026 refuse it).
  if (bits > 4096 || bits % 32 !== 0) fail(`bits ${bits} must be 0 or a multiple of 32 in 32..4096`);
  if (bucketBits > MAX_BUCKET_BITS || bucketBits > bits) fail(`bucketBits ${bucketBits} is out of range`);
  if (!(quantScale > 0 && Number.isFinite(quantScale)))
    fail(`quantScale ${quantScale} is not a positive number`);
  if (modelIdBytes < 1 || modelIdBytes > MAX_MODEL_ID_BYTES || HEADER_BYTES + modelIdBytes > totalBytes) {
    fail(`model id length ${modelIdBytes} is out of range`);
  }
  let modelId: string;
  try {
    modelId = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(HEADER_BYTES, HEADER_BYTES + modelIdBytes),
    );
  } catch {
    fail('model id is not valid UTF-8');
  }

  const lengths = sectionBytes({ inputDim, dims, bits, bucketBits, rowBits }, count);
  const offsets = {} as Record<SectionName, number>;
  let minOffset = HEADER_BYTES + modelIdBytes;
  SECTIONS.forEach((s, i) => {
    const offset = u32(O.sectionTable + i * 8);
    const length = u32(O.sectionTable + i * 8 + 4);
    if (length !== lengths[s]) fail(`section ${s} is ${length} bytes, expected ${lengths[s]}`);
    if (offset % SECTION_ALIGN !== 0)
      fail(`section ${s} offset ${offset} is not ${SECTION_ALIGN}-byte aligned`);
    if (offset < minOffset || offset + length > totalBytes)
      fail(`section ${s} (${offset}+${length}) is out of bounds`);
    offsets[s] = offset;
    minOffset = offset + length;
  });

  const at = bytes.byteOffset;
  const mean = new Float32Array(bytes.buffer, at + offsets.mean, inputDim);
  const projection = new Float32Array(bytes.buffer, at + offsets.projection, dims * inputDim);
  for (let i = 0; i < mean.length; i++) if (!Number.isFinite(mean[i])) fail(`mean value ${i} is not finite`);
  for (let i = 0; i < projection.length; i++) {
    if (!Number.isFinite(projection[i])) fail(`projection value ${i} is not finite`);
  }
  const storedRows = new Uint8Array(bytes.buffer, at + offsets.vectors, lengths.vectors);
  let vectors: Int8Array;
  if (rowBits === 8) vectors = new Int8Array(storedRows.buffer, storedRows.byteOffset, storedRows.length);
  else {
    const unpacked = unpackInt4(storedRows);
    if (unpacked === null) fail('an int4 row holds −8, outside the range ±7 the writer stores');
    vectors = unpacked;
  }
  const data: ResidentIndexData = {
    modelId,
    transform: { inputDim, dims, mean, projection, quantScale },
    seed,
    bits,
    bucketBits,
    codes: new Uint32Array(bytes.buffer, at + offsets.codes, lengths.codes / 4),
    vectors,
    rowBits,
    bucketOffsets: new Uint32Array(bytes.buffer, at + offsets.buckets, lengths.buckets / 4),
  };
  try {
    assertIndexData(data);
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  return data;
}

/** Decodes an index file into a searchable index whose arrays are views into `bytes`. */
export function decodeIndex(bytes: Uint8Array): InMemoryResidentIndex {
  return new InMemoryResidentIndex(decodeIndexData(bytes));
}
