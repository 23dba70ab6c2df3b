import { parseCalibration, type SimilarityCalibration } from './calibration';
import { parseDuplicatesSummary, type DuplicatesSummary } from './duplicatesFormat';
import { isNewerFormatError, rejectNewerVersion } from './formatVersion';
import { parseNeighboursField, type NeighboursField } from './neighbourListsFormat';
import { parseModelSpec, type ModelSpec } from './modelSpec';
import { nonEmptyString, nonNegativeInt, record, relativePath } from './jsonChecks';
import { sha256Hex } from './sha256';

export const MANIFEST_FORMAT = 'lookalike-manifest';
/** Version 1 is the resident layout with one whole catalog file (builders before the sharded catalog). */
export const WHOLE_CATALOG_MANIFEST_VERSION = 1;
/** Version 2 is the sharded layout: index v4 (or v3, v2) range-loaded by cell, catalog split into shards. */
export const SHARDED_MANIFEST_VERSION = 2;
/**
 * Version 3 is the resident layout with the sharded catalog (`catalog` names its catalog index): index
 * v1 as in version 1. A new number so that a page that knows only v1 says it is too old instead of
 * misreading the catalog index as a whole catalog; this reader still reads v1.
 */
export const RESIDENT_MANIFEST_VERSION = 3;

/** A file in the data dir, with the size and hash a client verifies after downloading it. */
export interface FileRef {
  /** Relative to the manifest. */
  path: string;
  bytes: number;
  /** Lowercase hex SHA-256 of the file. */
  sha256: string;
}

/** manifest.json: the entry point of a data dir (docs/index-format.md). */
export type Manifest = ResidentManifest | ShardedManifest;

/** Index v1, downloaded in one piece when a query needs it, and the catalog (v3: sharded; v1: whole). */
export interface ResidentManifest extends ManifestCommon {
  version: typeof WHOLE_CATALOG_MANIFEST_VERSION | typeof RESIDENT_MANIFEST_VERSION;
  /**
   * Each image's nearest images, in shards (core/neighbourListsFormat.ts): album-image queries read these
   * instead of the index. Optional and ignored by older readers: absent from builds before it.
   */
  neighbours?: NeighboursField;
}

/** Index v4, v3 or v2 (head downloaded, cells range-loaded) and a catalog index over item and id shards. */
export interface ShardedManifest extends ManifestCommon {
  version: typeof SHARDED_MANIFEST_VERSION;
  layout: 'sharded';
  index: FileRef & { headBytes: number };
}

interface ManifestCommon {
  format: typeof MANIFEST_FORMAT;
  /** ISO 8601 timestamp of the build. */
  createdAt: string;
  /** Number of indexed images (= index rows = catalog items). */
  count: number;
  model: { id: string; spec: ModelSpec; file: FileRef };
  index: FileRef;
  catalog: FileRef;
  /**
   * What scores mean in this collection (core/calibration.ts). Optional and ignored by older readers:
   * absent from builds before it and from builds with too few edited copies to measure it.
   */
  calibration?: SimilarityCalibration;
  /**
   * The near-duplicate groups file (core/duplicatesFormat.ts) and its group counts. Optional and ignored
   * by older readers: absent from builds before it.
   */
  duplicates?: DuplicatesSummary & { file: FileRef };
}

function fail(path: string, message: string): never {
  throw new Error(`invalid manifest: ${path} ${message}`);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function fileRef(v: unknown, path: string): FileRef {
  const r = record(v, path, fail);
  const sha256 = r.sha256;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
    fail(`${path}.sha256`, 'must be 64 lowercase hex digits');
  return {
    path: relativePath(r.path, `${path}.path`, fail),
    bytes: nonNegativeInt(r.bytes, `${path}.bytes`, fail),
    sha256,
  };
}

function duplicatesField(v: unknown): DuplicatesSummary & { file: FileRef } {
  const file = fileRef(record(v, 'duplicates', fail).file, 'duplicates.file');
  try {
    return { ...parseDuplicatesSummary(v), file };
  } catch (e) {
    if (isNewerFormatError(e)) throw e;
    fail('duplicates', `is not valid: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Validates parsed manifest JSON and returns a fresh, well-typed Manifest; throws an Error naming the bad field. */
export function parseManifest(json: unknown): Manifest {
  const m = record(json, '(root)', fail);
  if (m.format !== MANIFEST_FORMAT)
    fail('format', `must be '${MANIFEST_FORMAT}', got ${JSON.stringify(m.format)}`);
  rejectNewerVersion('manifest', m.version, RESIDENT_MANIFEST_VERSION);
  if (
    m.version !== WHOLE_CATALOG_MANIFEST_VERSION &&
    m.version !== SHARDED_MANIFEST_VERSION &&
    m.version !== RESIDENT_MANIFEST_VERSION
  ) {
    fail(
      'version',
      `must be ${WHOLE_CATALOG_MANIFEST_VERSION}, ${SHARDED_MANIFEST_VERSION} or ${RESIDENT_MANIFEST_VERSION}, got ${JSON.stringify(m.version)}`,
    );
  }
  const createdAt = nonEmptyString(m.createdAt, 'createdAt', fail);
  if (!ISO_DATE.test(createdAt) || Number.isNaN(Date.parse(createdAt)))
    fail('createdAt', 'must be an ISO 8601 timestamp');
  const count = nonNegativeInt(m.count, 'count', fail);
  const model = record(m.model, 'model', fail);
  const id = nonEmptyString(model.id, 'model.id', fail);
  let spec: ModelSpec;
  try {
    spec = parseModelSpec(model.spec);
  } catch (e) {
    if (isNewerFormatError(e)) throw e;
    fail('model.spec', `is not a valid model spec: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (spec.id !== id) fail('model.id', `is '${id}' but model.spec.id is '${spec.id}'`);
  const common = {
    format: MANIFEST_FORMAT,
    createdAt,
    count,
    model: { id, spec, file: fileRef(model.file, 'model.file') },
    catalog: fileRef(m.catalog, 'catalog'),
    ...(m.calibration === undefined ? {} : { calibration: parseCalibration(m.calibration) }),
    ...(m.duplicates === undefined ? {} : { duplicates: duplicatesField(m.duplicates) }),
  } as const;
  if (m.version === WHOLE_CATALOG_MANIFEST_VERSION || m.version === RESIDENT_MANIFEST_VERSION)
    return {
      ...common,
      version: m.version,
      index: fileRef(m.index, 'index'),
      ...(m.neighbours === undefined
        ? {}
        : { neighbours: parseNeighboursField(m.neighbours, count, fileRef) }),
    };
  if (m.layout !== 'sharded') fail('layout', "must be 'sharded' in a version 2 manifest");
  const index = fileRef(m.index, 'index');
  const headBytes = nonNegativeInt(record(m.index, 'index', fail).headBytes, 'index.headBytes', fail);
  if (headBytes < 1 || headBytes > index.bytes) fail('index.headBytes', `must be in 1..${index.bytes}`);
  return { ...common, version: SHARDED_MANIFEST_VERSION, layout: 'sharded', index: { ...index, headBytes } };
}

const NAME_PART = /^[A-Za-z0-9_-]+$/;

/**
 * `<stem>.<first 16 hex of sha256>.<ext>`, e.g. `index.3f2a…9c.bin`: the name changes whenever the
 * content does, so such files can be cached forever.
 */
export function contentAddressedName(stem: string, ext: string, bytes: Uint8Array): string {
  if (!NAME_PART.test(stem))
    throw new Error(`contentAddressedName: stem must match ${NAME_PART}, got '${stem}'`);
  if (!NAME_PART.test(ext))
    throw new Error(`contentAddressedName: ext must match ${NAME_PART} (no dot), got '${ext}'`);
  return `${stem}.${sha256Hex(bytes).slice(0, 16)}.${ext}`;
}

/** A FileRef for bytes that will be written at `path`. */
export function fileRefFor(path: string, bytes: Uint8Array): FileRef {
  return { path, bytes: bytes.length, sha256: sha256Hex(bytes) };
}

export function isShardedManifest(m: Manifest): m is ShardedManifest {
  return m.version === SHARDED_MANIFEST_VERSION;
}

/** For callers that handle only the resident layout (tools and tests over small data dirs). */
export function residentManifest(m: Manifest): ResidentManifest {
  if (isShardedManifest(m))
    throw new Error('expected a resident (version 1 or 3) manifest, got a sharded one');
  return m;
}
