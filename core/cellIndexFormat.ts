import type { CatalogItem } from './catalog';
import { encodeCellItems } from './cellItems';
import { crc32 } from './crc32';
import { rejectNewerVersion } from './formatVersion';
import { INDEX_MAGIC, IndexFormatError, NEWEST_INDEX_VERSION } from './indexFormat';
import { sha256Bytes } from './sha256';
import { assertVectorTransform, type VectorTransform } from './vectorTransform';

/**
 * Index v2, v3 and v4, the sharded layout (docs/index-format.md): rows grouped by cell, so a client that
 * holds the small head (header + centroids + cell directory) fetches only the cells a query probes,
 * with HTTP Range requests. The head is SHA-256-checked, each cell CRC-32-checked, the transform (only
 * own-image queries need it) SHA-256-checked on its own. v3 adds copies: a cell may also hold copies of
 * rows whose own cell is another one (rows near a border), after its own rows, so a query finds them
 * while reading fewer cells. v4 adds each cell's item block after its rows (core/cellItems.ts), so a
 * query's results come with its cells. The version follows the content: v4 with items, else v3 with
 * copies, else v2; all three are read.
 */
export const CELL_INDEX_VERSION = 4;
const VERSION_WITH_COPIES = 3;
const VERSION_WITHOUT_COPIES = 2;
const CELL_HEADER_BYTES = 160;
const ALIGN = 8;
const CHECKSUMMED_FROM = 48;
const MAX_MODEL_ID_BYTES = 1024;
/** Past this a head stops being "small": the writer caps the cell count well below it. */
const MAX_CELLS = 1 << 20;

const O = {
  magic: 0,
  version: 8,
  headBytes: 12,
  headChecksum: 16,
  count: 48,
  inputDim: 52,
  dims: 56,
  cells: 60,
  rowBytes: 64,
  modelIdBytes: 68,
  quantScale: 72,
  transformOffset: 80,
  transformBytes: 88,
  transformChecksum: 96,
  rowsOffset: 128,
  totalBytes: 136,
} as const;

/** What a client keeps in memory: everything but the transform and the rows. */
export interface CellIndexHead {
  modelId: string;
  count: number;
  inputDim: number;
  dims: number;
  cells: number;
  /** Bytes per row: the int8 vector padded to 4 bytes, then the u32 catalog position. */
  rowBytes: number;
  quantScale: number;
  headBytes: number;
  /** cells × dims; unit centroid directions scaled to ±127. */
  centroids: Int8Array;
  /** cells + 1 entries: cell c holds rows cellRows[c] ..< cellRows[c+1]. */
  cellRows: Uint32Array;
  /**
   * cells + 1 entries: cell c is stored rows storedRows[c] ..< storedRows[c+1] of the file, its own
   * rows then its copies. Equal to cellRows in a file without copies.
   */
  storedRows: Uint32Array;
  /** cells + 1 entries: cell c is bytes cellOffsets[c] ..< cellOffsets[c+1] of the file. */
  cellOffsets: Float64Array;
  /** v4: each cell ends with its item block (core/cellItems.ts). */
  hasItems: boolean;
  cellCrc: Uint32Array;
  transformOffset: number;
  transformBytes: number;
  transformChecksum: Uint8Array;
  rowsOffset: number;
  totalBytes: number;
}

/** Rows of one cell, its own rows then its copies of other cells' rows. */
export interface CellRows {
  cell: number;
  /** Index row of the first row. */
  firstRow: number;
  /** Rows held, copies included. */
  count: number;
  /** The last `copies` of them are copies of rows stored in other cells. */
  copies: number;
  vectors: Int8Array;
  /** Catalog position of each row. */
  positions: Uint32Array;
  /** v4: the cell's item block, still compressed (openCellItems reads it when a result needs it). */
  itemBlock?: Uint8Array;
}

/** Rows a cell holds besides its own, grouped by cell like the rows. */
export interface CellCopies {
  /** cells + 1 entries: cell c holds copies rows[c] ..< rows[c+1]. */
  rows: Uint32Array;
  /** copies × dims */
  vectors: Int8Array;
  positions: Uint32Array;
}

export interface CellIndexData {
  modelId: string;
  transform: VectorTransform;
  centroids: Int8Array;
  cellRows: Uint32Array;
  /** count × dims, rows grouped by cell. */
  vectors: Int8Array;
  /** count: the catalog position of each row. */
  positions: Uint32Array;
  /** Absent or empty: no copies. */
  copies?: CellCopies;
  /** The catalog item at each position (what a result shows): a v4 file. Absent: v2 or v3. */
  items?: readonly CatalogItem[];
}

function align(n: number, to = ALIGN): number {
  return Math.ceil(n / to) * to;
}

function rowBytesFor(dims: number): number {
  return align(dims, 4) + 4;
}

function fail(message: string): never {
  throw new IndexFormatError(`invalid sharded index: ${message}`);
}

function directoryLayout(version: number, modelIdBytes: number, cells: number, dims: number) {
  const centroids = align(CELL_HEADER_BYTES + modelIdBytes);
  const cellRows = align(centroids + cells * dims);
  // v3: the stored-row directory follows the cell directory; v4: then each cell's item-block bytes.
  const storedRows = version === VERSION_WITHOUT_COPIES ? cellRows : cellRows + (cells + 1) * 4;
  const itemBytes = storedRows + (cells + 1) * 4;
  const cellCrc = version === CELL_INDEX_VERSION ? itemBytes + cells * 4 : itemBytes;
  const headBytes = align(cellCrc + cells * 4);
  return { centroids, cellRows, storedRows, itemBytes, cellCrc, headBytes };
}

/** Where each cell starts: its rows (copies included), then in v4 its item block. */
function cellOffsetsOf(
  rowsOffset: number,
  rowBytes: number,
  storedRows: Uint32Array,
  itemBytes?: Uint32Array,
) {
  const cells = storedRows.length - 1;
  const out = new Float64Array(cells + 1);
  out[0] = rowsOffset;
  for (let c = 0; c < cells; c++)
    out[c + 1] = out[c] + (storedRows[c + 1] - storedRows[c]) * rowBytes + (itemBytes?.[c] ?? 0);
  return out;
}

/** Byte range [start, end) of cell c in the file: its rows (copies included), then its items (v4). */
export function cellByteRange(head: CellIndexHead, cell: number): [number, number] {
  return [head.cellOffsets[cell], head.cellOffsets[cell + 1]];
}

/** Rows cell c holds, copies included: what reading it costs. */
export function cellRowCount(head: CellIndexHead, cell: number): number {
  return head.storedRows[cell + 1] - head.storedRows[cell];
}

/** Directory check shared by writer and reader: monotone, spanning 0..count, copies ≥ 0 per cell. */
function directoryProblem(cellRows: Uint32Array, storedRows: Uint32Array, count: number): string | undefined {
  const cells = cellRows.length - 1;
  if (cellRows[0] !== 0 || cellRows[cells] !== count) return 'cell directory must span 0..count';
  if (storedRows[0] !== 0) return 'stored-row directory must start at 0';
  for (let c = 0; c < cells; c++) {
    if (cellRows[c + 1] < cellRows[c]) return `cell directory decreases at ${c}`;
    if (storedRows[c + 1] - storedRows[c] < cellRows[c + 1] - cellRows[c])
      return `cell ${c} stores fewer rows than it owns`;
  }
  return undefined;
}

export function encodeCellIndex(data: CellIndexData): Uint8Array {
  const { transform, centroids, cellRows, vectors, positions } = data;
  const copies = data.copies !== undefined && data.copies.positions.length > 0 ? data.copies : undefined;
  assertVectorTransform(transform);
  const { dims, inputDim } = transform;
  const modelId = new TextEncoder().encode(data.modelId);
  if (modelId.length < 1 || modelId.length > MAX_MODEL_ID_BYTES)
    throw new RangeError(`modelId must be 1..${MAX_MODEL_ID_BYTES} bytes`);
  const count = positions.length;
  const cells = cellRows.length - 1;
  if (count < 1) throw new RangeError('a sharded index needs at least one row');
  if (cells < 1 || cells > MAX_CELLS) throw new RangeError(`cell count ${cells} is out of range`);
  if (centroids.length !== cells * dims) throw new RangeError('centroids do not match cells × dims');
  if (vectors.length !== count * dims) throw new RangeError('vectors do not match count × dims');
  const storedRows = new Uint32Array(cells + 1);
  for (let c = 0; c < cells; c++) {
    const copied = copies === undefined ? 0 : copies.rows[c + 1] - copies.rows[c];
    storedRows[c + 1] = storedRows[c] + (cellRows[c + 1] - cellRows[c]) + copied;
  }
  if (copies !== undefined) {
    const n = copies.positions.length;
    if (copies.rows.length !== cells + 1 || copies.rows[0] !== 0 || copies.rows[cells] !== n)
      throw new RangeError('copies.rows must span 0..copies, one entry per cell + 1');
    if (copies.vectors.length !== n * dims) throw new RangeError('copy vectors do not match copies × dims');
    for (const p of copies.positions)
      if (p >= count) throw new RangeError(`a copy names position ${p} ≥ count`);
  }
  const problem = directoryProblem(cellRows, storedRows, count);
  if (problem !== undefined) throw new RangeError(problem);
  const version =
    data.items !== undefined
      ? CELL_INDEX_VERSION
      : copies !== undefined
        ? VERSION_WITH_COPIES
        : VERSION_WITHOUT_COPIES;
  const blocks = data.items === undefined ? undefined : itemBlocks(data, storedRows);
  const itemBytes = blocks && Uint32Array.from(blocks, (b) => b.length);
  const rowBytes = rowBytesFor(dims);
  const dir = directoryLayout(version, modelId.length, cells, dims);
  const transformOffset = dir.headBytes;
  const transformBytes = (inputDim + dims * inputDim) * 4;
  const rowsOffset = align(transformOffset + transformBytes);
  const cellOffsets = cellOffsetsOf(rowsOffset, rowBytes, storedRows, itemBytes);
  const totalBytes = align(cellOffsets[cells]);
  if (totalBytes > 2 ** 52) throw new RangeError('index too large');

  const out = new Uint8Array(totalBytes);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(INDEX_MAGIC), O.magic);
  view.setUint32(O.version, version, true);
  view.setUint32(O.headBytes, dir.headBytes, true);
  view.setUint32(O.count, count, true);
  view.setUint32(O.inputDim, inputDim, true);
  view.setUint32(O.dims, dims, true);
  view.setUint32(O.cells, cells, true);
  view.setUint32(O.rowBytes, rowBytes, true);
  view.setUint32(O.modelIdBytes, modelId.length, true);
  view.setFloat64(O.quantScale, transform.quantScale, true);
  view.setFloat64(O.transformOffset, transformOffset, true);
  view.setUint32(O.transformBytes, transformBytes, true);
  view.setFloat64(O.rowsOffset, rowsOffset, true);
  view.setFloat64(O.totalBytes, totalBytes, true);
  out.set(modelId, CELL_HEADER_BYTES);
  out.set(new Uint8Array(centroids.buffer, centroids.byteOffset, centroids.byteLength), dir.centroids);
  for (let c = 0; c <= cells; c++) view.setUint32(dir.cellRows + c * 4, cellRows[c], true);
  if (version !== VERSION_WITHOUT_COPIES)
    for (let c = 0; c <= cells; c++) view.setUint32(dir.storedRows + c * 4, storedRows[c], true);
  if (itemBytes !== undefined)
    for (let c = 0; c < cells; c++) view.setUint32(dir.itemBytes + c * 4, itemBytes[c], true);

  let at = transformOffset;
  for (let i = 0; i < inputDim; i++, at += 4) view.setFloat32(at, transform.mean[i], true);
  for (let i = 0; i < dims * inputDim; i++, at += 4) view.setFloat32(at, transform.projection[i], true);
  out.set(sha256Bytes(out.subarray(transformOffset, transformOffset + transformBytes)), O.transformChecksum);

  let off = 0;
  const writeRow = (v: Int8Array, from: number, position: number) => {
    out.set(new Uint8Array(v.buffer, v.byteOffset + from * dims, dims), off);
    view.setUint32(off + rowBytes - 4, position, true);
    off += rowBytes;
  };
  for (let c = 0; c < cells; c++) {
    off = cellOffsets[c];
    for (let row = cellRows[c]; row < cellRows[c + 1]; row++) writeRow(vectors, row, positions[row]);
    if (copies !== undefined)
      for (let j = copies.rows[c]; j < copies.rows[c + 1]; j++)
        writeRow(copies.vectors, j, copies.positions[j]);
    if (blocks !== undefined) out.set(blocks[c], off);
    view.setUint32(dir.cellCrc + c * 4, crc32(out.subarray(cellOffsets[c], cellOffsets[c + 1])), true);
  }
  out.set(sha256Bytes(out.subarray(CHECKSUMMED_FROM, dir.headBytes)), O.headChecksum);
  return out;
}

/** Each cell's item block: the item at each stored row's position, with that position's own row. */
function itemBlocks(data: CellIndexData, storedRows: Uint32Array): Uint8Array[] {
  const { items, positions, cellRows, copies } = data;
  const count = positions.length;
  if (items === undefined || items.length !== count)
    throw new RangeError('items must hold one item per position');
  const rowOf = new Uint32Array(count);
  positions.forEach((p, row) => (rowOf[p] = row));
  const item = (p: number) => ({ ...items[p], row: rowOf[p] });
  return Array.from({ length: cellRows.length - 1 }, (_, c) => {
    const stored = [];
    for (let row = cellRows[c]; row < cellRows[c + 1]; row++) stored.push(item(positions[row]));
    if (copies !== undefined)
      for (let j = copies.rows[c]; j < copies.rows[c + 1]; j++) stored.push(item(copies.positions[j]));
    if (stored.length !== storedRows[c + 1] - storedRows[c])
      throw new RangeError(`cell ${c}: items do not match rows`);
    return encodeCellItems(stored);
  });
}

function checkMagicAndVersion(bytes: Uint8Array): number {
  if (bytes.length < 16) fail(`need at least 16 bytes, got ${bytes.length}`);
  for (let i = 0; i < INDEX_MAGIC.length; i++)
    if (bytes[i] !== INDEX_MAGIC.charCodeAt(i)) fail('wrong magic, this is not a Lookalike index');
  const version = new DataView(bytes.buffer, bytes.byteOffset, 16).getUint32(O.version, true);
  rejectNewerVersion('index', version, NEWEST_INDEX_VERSION);
  if (version < VERSION_WITHOUT_COPIES || version > CELL_INDEX_VERSION)
    fail(`version ${version}, expected ${VERSION_WITHOUT_COPIES} to ${CELL_INDEX_VERSION}`);
  return version;
}

/** Decodes and verifies the head from the file's first headBytes bytes (more is fine). */
export function decodeCellIndexHead(input: Uint8Array): CellIndexHead {
  const version = checkMagicAndVersion(input);
  const bytes = input.byteOffset % ALIGN === 0 ? input : input.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => view.getUint32(o, true);
  const headBytes = u32(O.headBytes);
  if (headBytes < CELL_HEADER_BYTES || headBytes > bytes.length)
    fail(`head is ${headBytes} bytes but ${bytes.length} were given (truncated?)`);
  const expected = sha256Bytes(bytes.subarray(CHECKSUMMED_FROM, headBytes));
  for (let i = 0; i < 32; i++)
    if (expected[i] !== bytes[O.headChecksum + i]) fail('head checksum mismatch, the file is corrupted');
  const count = u32(O.count);
  const inputDim = u32(O.inputDim);
  const dims = u32(O.dims);
  const cells = u32(O.cells);
  const rowBytes = u32(O.rowBytes);
  const modelIdBytes = u32(O.modelIdBytes);
  const quantScale = view.getFloat64(O.quantScale, true);
  if (count < 1) fail('count must be ≥ 1');
  if (dims < 1 || dims > 65536 || inputDim < 1 || inputDim > 65536) fail('dims out of range');
  if (cells < 1 || cells > MAX_CELLS) fail(`cell count ${cells} is out of range`);
  if (rowBytes !== rowBytesFor(dims)) fail(`row size ${rowBytes}, expected ${rowBytesFor(dims)}`);
  if (!(quantScale > 0 && Number.isFinite(quantScale))) fail('quantScale must be positive');
  if (modelIdBytes < 1 || modelIdBytes > MAX_MODEL_ID_BYTES) fail('model id length out of range');
  const dir = directoryLayout(version, modelIdBytes, cells, dims);
  if (dir.headBytes !== headBytes) fail(`head size ${headBytes} does not match its directory`);
  let modelId: string;
  try {
    modelId = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(CELL_HEADER_BYTES, CELL_HEADER_BYTES + modelIdBytes),
    );
  } catch {
    fail('model id is not valid UTF-8');
  }
  const at = bytes.byteOffset;
  const cellRows = new Uint32Array(bytes.buffer, at + dir.cellRows, cells + 1).slice();
  const storedRows = new Uint32Array(bytes.buffer, at + dir.storedRows, cells + 1).slice();
  const problem = directoryProblem(cellRows, storedRows, count);
  if (problem !== undefined) fail(problem);
  const transformOffset = view.getFloat64(O.transformOffset, true);
  const transformBytes = u32(O.transformBytes);
  const rowsOffset = view.getFloat64(O.rowsOffset, true);
  const totalBytes = view.getFloat64(O.totalBytes, true);
  if (transformOffset !== headBytes || transformBytes !== (inputDim + dims * inputDim) * 4)
    fail('transform section is misplaced');
  if (rowsOffset !== align(transformOffset + transformBytes)) fail('rows section is misplaced');
  const hasItems = version === CELL_INDEX_VERSION;
  const itemBytes = hasItems ? new Uint32Array(bytes.buffer, at + dir.itemBytes, cells).slice() : undefined;
  const cellOffsets = cellOffsetsOf(rowsOffset, rowBytes, storedRows, itemBytes);
  if (totalBytes !== align(cellOffsets[cells])) fail('total size does not match the cells');
  return {
    modelId,
    count,
    inputDim,
    dims,
    cells,
    rowBytes,
    quantScale,
    headBytes,
    centroids: new Int8Array(bytes.buffer, at + dir.centroids, cells * dims).slice(),
    cellRows,
    storedRows,
    cellOffsets,
    hasItems,
    cellCrc: new Uint32Array(bytes.buffer, at + dir.cellCrc, cells).slice(),
    transformOffset,
    transformBytes,
    transformChecksum: bytes.slice(O.transformChecksum, O.transformChecksum + 32),
    rowsOffset,
    totalBytes,
  };
}

/** Decodes the transform section (bytes transformOffset ..< +transformBytes), verifying its SHA-256. */
export function decodeCellTransform(head: CellIndexHead, bytes: Uint8Array): VectorTransform {
  if (bytes.length !== head.transformBytes)
    fail(`transform is ${bytes.length} bytes, expected ${head.transformBytes}`);
  const sum = sha256Bytes(bytes);
  for (let i = 0; i < 32; i++) if (sum[i] !== head.transformChecksum[i]) fail('transform checksum mismatch');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { inputDim, dims } = head;
  const mean = new Float32Array(inputDim);
  const projection = new Float32Array(dims * inputDim);
  for (let i = 0; i < inputDim; i++) mean[i] = view.getFloat32(i * 4, true);
  for (let i = 0; i < projection.length; i++) projection[i] = view.getFloat32((inputDim + i) * 4, true);
  const transform = { inputDim, dims, mean, projection, quantScale: head.quantScale };
  try {
    assertVectorTransform(transform);
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  return transform;
}

/** Checks one cell's bytes against the head's CRC and returns views of its rows. */
export function decodeCell(head: CellIndexHead, cell: number, input: Uint8Array): CellRows {
  if (!Number.isInteger(cell) || cell < 0 || cell >= head.cells) fail(`cell ${cell} does not exist`);
  const firstRow = head.cellRows[cell];
  const count = cellRowCount(head, cell);
  const copies = count - (head.cellRows[cell + 1] - firstRow);
  const [start, end] = cellByteRange(head, cell);
  if (input.length !== end - start) fail(`cell ${cell} is ${input.length} bytes, expected ${end - start}`);
  if (crc32(input) !== head.cellCrc[cell]) fail(`cell ${cell} checksum mismatch, the data is corrupted`);
  const { dims, rowBytes } = head;
  const vectors = new Int8Array(count * dims);
  const positions = new Uint32Array(count);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const src = new Int8Array(input.buffer, input.byteOffset, input.byteLength);
  // A plain loop: a query decodes tens of thousands of rows, a view per row would cost more.
  for (let r = 0, from = 0, to = 0; r < count; r++, from += rowBytes, to += dims) {
    for (let d = 0; d < dims; d++) vectors[to + d] = src[from + d];
    positions[r] = view.getUint32(from + rowBytes - 4, true);
    if (positions[r] >= head.count) fail(`cell ${cell} row ${r} names position ${positions[r]} ≥ count`);
  }
  const rowsEnd = count * rowBytes;
  return head.hasItems
    ? { cell, firstRow, count, copies, vectors, positions, itemBlock: input.slice(rowsEnd) }
    : { cell, firstRow, count, copies, vectors, positions };
}
