import { rejectNewerVersion } from './formatVersion';
import {
  isRecord,
  nonEmptyString as checkedString,
  positiveInt as checkedPositiveInt,
  record,
} from './jsonChecks';

/** Describes an ONNX image-embedding model and exactly how pixels must be prepared for it. */
export interface ModelSpec {
  specVersion: 1;
  id: string;
  /** ONNX file, relative to the spec file. */
  file: string;
  input: {
    name: string;
    layout: 'NCHW' | 'NHWC';
    width: number;
    height: number;
    fit: 'center-crop' | 'letterbox' | 'stretch';
    /** center-crop only: the crop covers this fraction of the resized short side (1 = no border dropped). */
    cropFraction: number;
    resize: 'bilinear-antialias';
    /** Model input = (v * scale - mean[c]) / std[c], v in 0..255 after compositing alpha over white. */
    scale: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  output: ModelOutput;
}

/** The model's output: its name and size, and where a colour block sits in it, if the model has one. */
export interface ModelOutput {
  name: string;
  dim: number;
  /**
   * The embedding's values [offset, offset + dim) are a colour histogram of the input (models/
   * convertShared.ts colourHistogramBlock). The index builder gives it dims of its own, outside the
   * learned whitening (index-builder/fitTransform.ts), so colour still counts where edits taught the
   * rest of the transform to ignore it.
   */
  colourBlock?: { offset: number; dim: number };
}

const FITS = ['center-crop', 'letterbox', 'stretch'] as const;
const LAYOUTS = ['NCHW', 'NHWC'] as const;

function fail(path: string, message: string): never {
  throw new Error(`invalid model spec: ${path} ${message}`);
}

// The shared checks (jsonChecks.ts): strings must be well-formed text, integers safe.
function nonEmptyString(obj: Record<string, unknown>, key: string, path: string): string {
  return checkedString(obj[key], `${path}${key}`, fail);
}

function positiveInt(obj: Record<string, unknown>, key: string, path: string): number {
  return checkedPositiveInt(obj[key], `${path}${key}`, fail);
}

function finiteNumber(obj: Record<string, unknown>, key: string, path: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}${key}`, 'must be a finite number');
  return v;
}

function oneOf<T extends string>(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  allowed: readonly T[],
): T {
  const v = obj[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(`${path}${key}`, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return v as T;
}

function triple(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  nonZero: boolean,
): [number, number, number] {
  const v = obj[key];
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail(`${path}${key}`, 'must be an array of 3 finite numbers');
  }
  if (nonZero && v.some((x) => x === 0)) fail(`${path}${key}`, 'must not contain 0');
  return [v[0], v[1], v[2]];
}

/** Validates parsed JSON and returns a fresh, well-typed ModelSpec; throws an Error naming the bad field. */
export function parseModelSpec(json: unknown): ModelSpec {
  if (!isRecord(json)) fail('(root)', 'must be a JSON object');
  rejectNewerVersion('model spec', json.specVersion, 1);
  if (json.specVersion !== 1) fail('specVersion', `must be 1, got ${JSON.stringify(json.specVersion)}`);
  const id = nonEmptyString(json, 'id', '');
  const file = nonEmptyString(json, 'file', '');
  const input = record(json.input, 'input', fail);
  const p = 'input.';
  const cropFraction = finiteNumber(input, 'cropFraction', p);
  if (cropFraction <= 0 || cropFraction > 1) fail('input.cropFraction', 'must be in (0, 1]');
  const scale = finiteNumber(input, 'scale', p);
  if (scale <= 0) fail('input.scale', 'must be > 0');
  const output = parseOutput(record(json.output, 'output', fail));
  return {
    specVersion: 1,
    id,
    file,
    input: {
      name: nonEmptyString(input, 'name', p),
      layout: oneOf(input, 'layout', p, LAYOUTS),
      width: positiveInt(input, 'width', p),
      height: positiveInt(input, 'height', p),
      fit: oneOf(input, 'fit', p, FITS),
      cropFraction,
      resize: oneOf(input, 'resize', p, ['bilinear-antialias'] as const),
      scale,
      mean: triple(input, 'mean', p, false),
      std: triple(input, 'std', p, true),
    },
    output,
  };
}

function parseOutput(output: Record<string, unknown>): ModelOutput {
  const name = nonEmptyString(output, 'name', 'output.');
  const dim = positiveInt(output, 'dim', 'output.');
  if (output.colourBlock === undefined) return { name, dim };
  const block = record(output.colourBlock, 'output.colourBlock', fail);
  const offset = block.offset;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    fail('output.colourBlock.offset', 'must be an integer ≥ 0');
  const size = positiveInt(block, 'dim', 'output.colourBlock.');
  if (offset + size > dim)
    fail('output.colourBlock', `[${offset}, ${offset + size}) lies outside the ${dim} outputs`);
  return { name, dim, colourBlock: { offset, dim: size } };
}
