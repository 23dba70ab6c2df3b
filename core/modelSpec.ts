import { rejectNewerVersion } from './formatVersion';
import {
  isRecord,
  nonEmptyString as checkedString,
  positiveInt as checkedPositiveInt,
  record,
} from './jsonChecks';

/** Describes an ONNX image-embedding model and exactly how pixels must be prepared for it. */
export interface ModelSpec {
  /**
   * 2 when the input frames its subject (`frameSubject`), which a version-1 reader would ignore; 3 when
   * it frames uniform opaque margins too (`frameSubject.uniformMargin`), which a version-2 reader would.
   */
  specVersion: 1 | 2 | 3;
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
    /**
     * center-crop only: an image with transparent margins is cropped around its subject, the pixels whose
     * alpha exceeds `alphaAbove`, so that the subject's longer side covers `coverage` of the window (the
     * window never larger than the centred crop, and moved inside the image). Emoji and icons are drawn
     * with margins of every size; framed, the same drawing reaches the model at the same scale.
     */
    frameSubject?: FrameSubject;
    resize: 'bilinear-antialias';
    /** Model input = (v * scale - mean[c]) / std[c], v in 0..255 after compositing alpha over white. */
    scale: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  output: ModelOutput;
}

/** How an input frames the subject of an image with transparent margins (ModelSpec input.frameSubject). */
export interface FrameSubject {
  /** Pixels with alpha above this (0–254) are the subject. */
  alphaAbove: number;
  /** The share of the window's side the subject's longer side covers, in (0, 1]. */
  coverage: number;
  /**
   * An opaque image whose four edges are all within `tolerance` (0–254) levels per channel of its
   * top-left pixel is framed too: its subject is what differs from that colour by more (art saved on
   * white or black, as JPEG). Spec version 3.
   */
  uniformMargin?: { tolerance: number };
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
  rejectNewerVersion('model spec', json.specVersion, 3);
  if (json.specVersion !== 1 && json.specVersion !== 2 && json.specVersion !== 3)
    fail('specVersion', `must be 1, 2 or 3, got ${JSON.stringify(json.specVersion)}`);
  const specVersion = json.specVersion;
  const id = nonEmptyString(json, 'id', '');
  const file = nonEmptyString(json, 'file', '');
  const input = record(json.input, 'input', fail);
  const p = 'input.';
  const cropFraction = finiteNumber(input, 'cropFraction', p);
  if (cropFraction <= 0 || cropFraction > 1) fail('input.cropFraction', 'must be in (0, 1]');
  const scale = finiteNumber(input, 'scale', p);
  if (scale <= 0) fail('input.scale', 'must be > 0');
  const output = parseOutput(record(json.output, 'output', fail));
  const fit = oneOf(input, 'fit', p, FITS);
  const frameSubject = parseFrameSubject(input.frameSubject, fit, specVersion);
  return {
    specVersion,
    id,
    file,
    input: {
      name: nonEmptyString(input, 'name', p),
      layout: oneOf(input, 'layout', p, LAYOUTS),
      width: positiveInt(input, 'width', p),
      height: positiveInt(input, 'height', p),
      fit,
      cropFraction,
      ...(frameSubject ? { frameSubject } : {}),
      resize: oneOf(input, 'resize', p, ['bilinear-antialias'] as const),
      scale,
      mean: triple(input, 'mean', p, false),
      std: triple(input, 'std', p, true),
    },
    output,
  };
}

function parseFrameSubject(value: unknown, fit: string, specVersion: 1 | 2 | 3): FrameSubject | undefined {
  if (value === undefined) return undefined;
  const p = 'input.frameSubject';
  if (specVersion < 2) fail(p, 'needs specVersion 2 (a version-1 reader would not frame the subject)');
  if (fit !== 'center-crop') fail(p, `applies to fit 'center-crop' only, not '${fit}'`);
  const o = record(value, p, fail);
  const alphaAbove = o.alphaAbove;
  if (typeof alphaAbove !== 'number' || !Number.isInteger(alphaAbove) || alphaAbove < 0 || alphaAbove > 254)
    fail(`${p}.alphaAbove`, 'must be an integer in 0..254');
  const coverage = finiteNumber(o, 'coverage', `${p}.`);
  if (coverage <= 0 || coverage > 1) fail(`${p}.coverage`, 'must be in (0, 1]');
  if (o.uniformMargin === undefined) return { alphaAbove, coverage };
  const m = `${p}.uniformMargin`;
  if (specVersion < 3) fail(m, 'needs specVersion 3 (a version-2 reader would not frame opaque margins)');
  const tolerance = record(o.uniformMargin, m, fail).tolerance;
  if (typeof tolerance !== 'number' || !Number.isInteger(tolerance) || tolerance < 0 || tolerance > 254)
    fail(`${m}.tolerance`, 'must be an integer in 0..254');
  return { alphaAbove, coverage, uniformMargin: { tolerance } };
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
