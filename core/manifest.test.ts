import { describe, expect, it } from 'vitest';
import { NewerFormatError } from './formatVersion';
import {
  contentAddressedName,
  fileRefFor,
  isShardedManifest,
  parseManifest,
  residentManifest,
  type Manifest,
} from './manifest';
import { calibrationFrom } from './calibration';
import { sha256Hex } from './sha256';
import { fixtureModelSpec } from '../testing/modelSpecFixture';

const spec = fixtureModelSpec({ output: { dim: 576 } });

const hash = 'a'.repeat(64);
function valid(): Manifest {
  return structuredClone({
    format: 'lookalike-manifest',
    version: 1,
    createdAt: '2026-11-24T22:00:00.000Z',
    count: 3,
    model: { id: spec.id, spec, file: { path: 'model.0123456789abcdef.onnx', bytes: 10, sha256: hash } },
    index: { path: 'index.0123456789abcdef.bin', bytes: 20, sha256: hash },
    catalog: { path: 'catalog.0123456789abcdef.json', bytes: 30, sha256: hash },
  }) as Manifest;
}

describe('parseManifest', () => {
  it('accepts a valid manifest and returns a fresh copy', () => {
    const json = valid();
    const m: Manifest = parseManifest(JSON.parse(JSON.stringify(json)));
    expect(m).toEqual(json);
    expect(m.model.spec.output.dim).toBe(576);
  });

  it.each([
    [(m: Manifest) => (m.format = 'other' as never), /format must be 'lookalike-manifest'/],
    [(m: Manifest) => (m.version = 4 as never), /manifest format version 4 is newer than this version/],
    [(m: Manifest) => (m.version = 0 as never), /version must be 1, 2 or 3, got 0/],
    [(m: Manifest) => (m.version = 2 as never), /layout must be 'sharded' in a version 2 manifest/],
    [(m: Manifest) => (m.createdAt = 'yesterday'), /createdAt must be an ISO 8601/],
    [(m: Manifest) => (m.count = -1), /count must be a non-negative integer/],
    [(m: Manifest) => (m.model.id = 'other'), /model.id is 'other' but model.spec.id/],
    [(m: Manifest) => (m.model.spec.specVersion = 9 as never), /model spec format version 9 is newer/],
    [(m: Manifest) => (m.model.spec.specVersion = 0 as never), /model.spec is not a valid model spec/],
    [(m: Manifest) => (m.index.sha256 = 'ABC'), /index.sha256 must be 64 lowercase hex/],
    [(m: Manifest) => (m.catalog.bytes = 1.5), /catalog.bytes must be a non-negative integer/],
    [(m: Manifest) => (m.catalog.path = '../secret.json'), /catalog.path must be a relative path/],
    [(m: Manifest) => (m.index.path = '/index.bin'), /index.path must be a relative path/],
    [(m: Manifest) => (m.index.path = 'https://evil/x.bin'), /index.path must be a relative path/],
    [(m: Manifest) => delete (m.model as Partial<Manifest['model']>).file, /model.file must be an object/],
  ])('rejects bad field %#', (mutate, message) => {
    const json = valid();
    mutate(json);
    expect(() => parseManifest(json)).toThrow(message);
  });

  it('reads resident manifests of both catalogs: version 3 (sharded catalog) and 1 (whole catalog)', () => {
    for (const version of [1, 3]) {
      const m = parseManifest({ ...valid(), version });
      expect(isShardedManifest(m)).toBe(false);
      expect(residentManifest(m).version).toBe(version);
    }
  });

  it('accepts a sharded (version 2) manifest with the head size of its index', () => {
    const sharded = { ...valid(), version: 2, layout: 'sharded', index: { ...valid().index, headBytes: 8 } };
    const m = parseManifest(JSON.parse(JSON.stringify(sharded)));
    expect(isShardedManifest(m)).toBe(true);
    expect(m).toEqual(sharded);
    expect(() => residentManifest(m)).toThrow(/expected a resident/);
    for (const headBytes of [0, 21, -1, 'x']) {
      expect(() => parseManifest({ ...sharded, index: { ...sharded.index, headBytes } })).toThrow(
        /index.headBytes/,
      );
    }
  });

  it('rejects non-objects', () => {
    expect(() => parseManifest(null)).toThrow(/invalid manifest: \(root\) must be an object/);
    expect(() => parseManifest([])).toThrow(/must be an object/);
  });
});

describe('contentAddressedName', () => {
  it('embeds the first 16 hex digits of the sha256', () => {
    const bytes = new TextEncoder().encode('hello');
    expect(contentAddressedName('index', 'bin', bytes)).toBe(`index.${sha256Hex(bytes).slice(0, 16)}.bin`);
    expect(contentAddressedName('index', 'bin', bytes)).toBe('index.2cf24dba5fb0a30e.bin');
  });

  it('rejects names that could escape or confuse the data dir', () => {
    expect(() => contentAddressedName('../x', 'bin', new Uint8Array())).toThrow(/stem/);
    expect(() => contentAddressedName('index', '.bin', new Uint8Array())).toThrow(/ext/);
  });

  it('fileRefFor records size and hash', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(fileRefFor('x.bin', bytes)).toEqual({ path: 'x.bin', bytes: 3, sha256: sha256Hex(bytes) });
  });
});

describe('manifest calibration field', () => {
  const spread = (n: number, lo: number, hi: number) =>
    Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

  it('is optional, and validated when present', () => {
    expect(parseManifest(valid()).calibration).toBeUndefined();
    const calibration = calibrationFrom(spread(50, 0.5, 1), spread(3000, 0, 0.3), 1000)!;
    expect(parseManifest({ ...valid(), calibration }).calibration).toEqual(calibration);
    expect(() => parseManifest({ ...valid(), calibration: { version: 1 } })).toThrow(
      /calibration\.thresholds/,
    );
  });
});

describe('manifest duplicates field', () => {
  const duplicates = {
    version: 1,
    groups: { 'near-identical': 2, 'very-similar': 3, similar: 3 },
    file: { path: 'duplicates.0123456789abcdef.json', bytes: 712, sha256: 'a'.repeat(64) },
  };

  it('is optional, and validated when present', () => {
    expect(parseManifest(valid()).duplicates).toBeUndefined();
    expect(parseManifest({ ...valid(), duplicates }).duplicates).toEqual(duplicates);
    expect(() => parseManifest({ ...valid(), duplicates: { ...duplicates, version: 0 } })).toThrow(
      /invalid manifest: duplicates is not valid: .*version must be 1/,
    );
    expect(() => parseManifest({ ...valid(), duplicates: { ...duplicates, version: 2 } })).toThrow(
      NewerFormatError,
    );
    expect(() =>
      parseManifest({ ...valid(), duplicates: { ...duplicates, groups: { similar: 1 } } }),
    ).toThrow(/groups\.near-identical/);
    expect(() =>
      parseManifest({
        ...valid(),
        duplicates: { ...duplicates, file: { ...duplicates.file, path: '../x' } },
      }),
    ).toThrow(/duplicates\.file\.path/);
  });
});
