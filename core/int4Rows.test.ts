import { describe, expect, it } from 'vitest';
import { fillInt4DotTable, packInt4, packInt4IfInRange, unpackInt4 } from './int4Rows';

const random = (n: number, seed: number, span: number) => {
  let s = seed;
  return Int8Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s % (2 * span + 1)) - span;
  });
};

describe('int4 rows', () => {
  it('pack and unpack are inverses for values in ±7, the even dim in the low nibble', () => {
    const values = random(64, 1, 7);
    expect(unpackInt4(packInt4(values))).toEqual(values);
    expect(packInt4(Int8Array.of(1, -2))[0]).toBe(0xe1);
    expect(unpackInt4(Uint8Array.of(0x08))).toBeNull();
  });

  it('packs only values in ±7', () => {
    expect(packInt4IfInRange(Int8Array.of(7, -7))).not.toBeNull();
    expect(packInt4IfInRange(Int8Array.of(8, 0))).toBeNull();
    expect(packInt4IfInRange(Int8Array.of(0, -8))).toBeNull();
  });

  it('the dot table gives each packed row its dot product with the query', () => {
    const dims = 22;
    const query = random(dims, 2, 127);
    const table = new Int32Array((dims / 2) * 256);
    fillInt4DotTable(query, table);
    for (let seed = 10; seed < 30; seed++) {
      const row = random(dims, seed, 7);
      const packed = packInt4(row);
      let viaTable = 0;
      for (let j = 0; j < packed.length; j++) viaTable += table[(j << 8) | packed[j]];
      expect(viaTable).toBe(row.reduce((s, x, d) => s + x * query[d], 0));
    }
    expect(() => fillInt4DotTable(query, new Int32Array(10))).toThrow(/dot table/);
  });
});
