import { describe, expect, it } from 'vitest';
import { parseModelSpec } from './modelSpec';
import { fixtureModelSpec } from '../testing/modelSpecFixture';

const valid = fixtureModelSpec();

function withInput(patch: Record<string, unknown>): unknown {
  return { ...valid, input: { ...valid.input, ...patch } };
}

describe('parseModelSpec', () => {
  it('accepts the documented example and returns an equal copy', () => {
    const spec = parseModelSpec(JSON.parse(JSON.stringify(valid)));
    expect(spec).toEqual(valid);
  });

  it('keeps where the colour block sits in the output, and leaves the key out when there is none', () => {
    const output = { name: 'embedding', dim: 2280, colourBlock: { offset: 1104, dim: 216 } };
    expect(parseModelSpec({ ...valid, output }).output).toEqual(output);
    expect(Object.keys(parseModelSpec(valid).output)).toEqual(['name', 'dim']);
  });

  it('keeps how a version-2 input frames the subject, and a version-2 spec without it stays valid', () => {
    const frameSubject = { alphaAbove: 16, coverage: 0.97 };
    const framed = parseModelSpec({ ...valid, specVersion: 2, input: { ...valid.input, frameSubject } });
    expect(framed.specVersion).toBe(2);
    expect(framed.input.frameSubject).toEqual(frameSubject);
    expect(Object.keys(parseModelSpec({ ...valid, specVersion: 2 }).input)).not.toContain('frameSubject');
  });

  it('keeps how a version-3 input frames uniform opaque margins', () => {
    const frameSubject = { alphaAbove: 16, coverage: 0.97, uniformMargin: { tolerance: 24 } };
    const framed = parseModelSpec({ ...valid, specVersion: 3, input: { ...valid.input, frameSubject } });
    expect(framed.specVersion).toBe(3);
    expect(framed.input.frameSubject).toEqual(frameSubject);
  });

  it('drops unknown fields', () => {
    const spec = parseModelSpec({ ...valid, extra: 1, input: { ...valid.input, note: 'x' } });
    expect(Object.keys(spec)).not.toContain('extra');
    expect(Object.keys(spec.input)).not.toContain('note');
  });

  it.each([
    [null, /must be a JSON object/],
    [[], /must be a JSON object/],
    [{ ...valid, specVersion: 4 }, /model spec format version 4 is newer/],
    [{ ...valid, specVersion: 0 }, /specVersion must be 1, 2 or 3/],
    [
      {
        ...(withInput({
          frameSubject: { alphaAbove: 16, coverage: 0.97, uniformMargin: { tolerance: 24 } },
        }) as object),
        specVersion: 2,
      },
      /frameSubject.uniformMargin needs specVersion 3/,
    ],
    [
      {
        ...(withInput({
          frameSubject: { alphaAbove: 16, coverage: 0.97, uniformMargin: { tolerance: 300 } },
        }) as object),
        specVersion: 3,
      },
      /frameSubject.uniformMargin.tolerance must be an integer in 0..254/,
    ],
    [withInput({ frameSubject: { alphaAbove: 16, coverage: 0.97 } }), /frameSubject needs specVersion 2/],
    [
      {
        ...(withInput({ frameSubject: { alphaAbove: 16, coverage: 0.97 }, fit: 'letterbox' }) as object),
        specVersion: 2,
      },
      /frameSubject applies to fit 'center-crop' only, not 'letterbox'/,
    ],
    [
      { ...(withInput({ frameSubject: { alphaAbove: 16, coverage: 0 } }) as object), specVersion: 2 },
      /frameSubject.coverage must be in \(0, 1\]/,
    ],
    [
      { ...(withInput({ frameSubject: { alphaAbove: 255, coverage: 1 } }) as object), specVersion: 2 },
      /frameSubject.alphaAbove must be an integer in 0..254/,
    ],
    [{ ...(withInput({ frameSubject: 'yes' }) as object), specVersion: 2 }, /frameSubject must be an object/],
    [{ ...valid, id: '' }, /id must be a non-empty string/],
    // Accepted before the spec used core/jsonChecks.ts: no text form (an id names files and caches).
    [{ ...valid, id: 'model-\uD800' }, /id is not well-formed text \(a lone UTF-16 surrogate\)/],
    [withInput({ width: 2 ** 53 }), /input.width must be a positive integer/],
    [{ ...valid, file: 3 }, /file must be a non-empty string/],
    [{ ...valid, input: undefined }, /input must be an object/],
    [withInput({ layout: 'CHW' }), /input.layout must be one of 'NCHW', 'NHWC'/],
    [withInput({ width: 0 }), /input.width must be a positive integer/],
    [withInput({ height: 2.5 }), /input.height must be a positive integer/],
    [withInput({ fit: 'cover' }), /input.fit must be one of/],
    [withInput({ cropFraction: 1.5 }), /input.cropFraction must be in \(0, 1\]/],
    [withInput({ resize: 'nearest' }), /input.resize must be one of 'bilinear-antialias'/],
    [withInput({ scale: -1 }), /input.scale must be > 0/],
    [withInput({ mean: [0, 0] }), /input.mean must be an array of 3 finite numbers/],
    [withInput({ std: [1, 0, 1] }), /input.std must not contain 0/],
    [{ ...valid, output: { name: 'embedding', dim: -3 } }, /output.dim must be a positive integer/],
    [{ ...valid, output: { dim: 3 } }, /output.name must be a non-empty string/],
    [{ ...valid, output: { name: 'e', dim: 8, colourBlock: 4 } }, /output.colourBlock must be an object/],
    [
      { ...valid, output: { name: 'e', dim: 8, colourBlock: { offset: -1, dim: 4 } } },
      /output.colourBlock.offset must be an integer ≥ 0/,
    ],
    [
      { ...valid, output: { name: 'e', dim: 8, colourBlock: { offset: 0, dim: 0 } } },
      /output.colourBlock.dim must be a positive integer/,
    ],
    [
      { ...valid, output: { name: 'e', dim: 8, colourBlock: { offset: 6, dim: 4 } } },
      /output.colourBlock \[6, 10\) lies outside the 8 outputs/,
    ],
  ])('rejects %j', (json, message) => {
    expect(() => parseModelSpec(json)).toThrow(message);
  });
});
