import { describe, expect, it } from 'vitest';
import { float32ToFloat16, onnx, OnnxGraph, valueInfo } from './onnxGraph';
import { appendToGraph } from './onnxGraphEdit';

describe('float32ToFloat16', () => {
  it('rounds to nearest even and handles subnormals, overflow and NaN', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff],
      [65520, 0x7c00], // halfway above the largest finite half rounds to infinity
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [6e-8, 0x0001], // smallest subnormal is 5.96e-8
      [1e-8, 0x0000],
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // tie → even mantissa
      [1 + 3 * 2 ** -11, 0x3c02], // tie → even mantissa (rounds up)
    ];
    const out = float32ToFloat16(cases.map(([v]) => v));
    cases.forEach(([v, bits], i) => expect([v, out[i].toString(16)]).toEqual([v, bits.toString(16)]));
    expect(float32ToFloat16([NaN])[0] & 0x7fff).toBeGreaterThan(0x7c00);
  });
});

describe('appendToGraph', () => {
  it('adds nodes and outputs and keeps everything else byte-identical in meaning', () => {
    const g = new OnnxGraph();
    const x = g.fresh('x');
    const y = g.node('Relu', [x], 'y');
    const bytes = g.toBytes({
      name: 'g',
      inputs: [valueInfo(x, ['N', 2])],
      outputs: [valueInfo(y, ['N', 2])],
    });
    const edited = appendToGraph(bytes, {
      nodes: [{ opType: 'Neg', name: 'neg', input: [y], output: ['z'] }],
      outputs: [valueInfo('z')],
    });
    const before = onnx.ModelProto.decode(bytes);
    const after = onnx.ModelProto.decode(edited);
    expect(after.irVersion).toEqual(before.irVersion);
    expect(after.opsetImport).toEqual(before.opsetImport);
    expect(after.graph!.node!.map((n) => n.opType)).toEqual(['Relu', 'Neg']);
    expect(after.graph!.output!.map((o) => o.name)).toEqual([y, 'z']);
    expect(after.graph!.input).toEqual(before.graph!.input);
  });

  it('rejects bytes without a graph', () => {
    expect(() => appendToGraph(new Uint8Array([8, 7]), { outputs: [] })).toThrow(/no graph/);
  });
});
