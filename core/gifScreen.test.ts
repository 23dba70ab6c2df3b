import { describe, expect, it } from 'vitest';
import { gifScreen } from './gifScreen';

const le16 = (n: number) => [n & 0xff, n >> 8];

/** A GIF: its header and logical screen, a 2-colour global table, `before` (extension blocks), one frame. */
function gif(screen: [number, number], frame: [number, number, number, number], before: number[] = []) {
  const [left, top, width, height] = frame;
  return Uint8Array.from([
    ...'GIF89a'.split('').map((c) => c.charCodeAt(0)),
    ...le16(screen[0]),
    ...le16(screen[1]),
    0x80,
    0,
    0, // global colour table of 2 colours, background 0, no aspect ratio
    0,
    0,
    0,
    0xff,
    0xff,
    0xff,
    ...before,
    0x2c,
    ...le16(left),
    ...le16(top),
    ...le16(width),
    ...le16(height),
    0,
    2,
    2,
    0x44,
    1,
    0,
    0x3b, // LZW data, then the trailer
  ]);
}

/** A comment extension of `n` bytes, in sub-blocks of up to 255. */
function comment(n: number): number[] {
  const out = [0x21, 0xfe];
  for (let left = n; left > 0; left -= 255)
    out.push(Math.min(left, 255), ...new Array(Math.min(left, 255)).fill(0x41));
  return [...out, 0];
}

describe('gifScreen', () => {
  it('is the logical screen when the first frame lies within it', () => {
    expect(gifScreen(gif([16_000, 16_000], [0, 0, 1, 1]))).toMatchObject({
      width: 16_000,
      height: 16_000,
      logical: { width: 16_000, height: 16_000 },
      firstFrame: { width: 1, height: 1 },
      cutShort: false,
    });
  });

  it("grows the screen to cover the first frame, as Chromium does (the audit's 1 × 1 screen bomb)", () => {
    expect(gifScreen(gif([1, 1], [0, 0, 20_000, 20_000]))).toMatchObject({ width: 20_000, height: 20_000 });
    // Its offset counts: a 1 × 1 frame at 19,999, 19,999 makes a 20,000² screen.
    expect(gifScreen(gif([1, 1], [19_999, 19_999, 1, 1]))).toMatchObject({ width: 20_000, height: 20_000 });
    // Each side on its own.
    expect(gifScreen(gif([300, 10], [0, 0, 20, 400]))).toMatchObject({ width: 300, height: 400 });
  });

  it('reads past extension blocks, however long, to the first frame', () => {
    const graphicControl = [0x21, 0xf9, 4, 0, 0, 0, 0, 0];
    const bytes = gif([1, 1], [0, 0, 20_000, 20_000], [...graphicControl, ...comment(70_000)]);
    expect(gifScreen(bytes)).toMatchObject({ width: 20_000, height: 20_000, cutShort: false });
  });

  it('says when the bytes end before the first frame, so that a caller reads on', () => {
    const bytes = gif([1, 1], [0, 0, 20_000, 20_000], comment(70_000));
    for (const cut of [11, 13, 19, 30_000, bytes.length - 10])
      expect(gifScreen(bytes.subarray(0, cut))).toEqual({
        width: 1,
        height: 1,
        logical: { width: 1, height: 1 },
        cutShort: true,
      });
  });

  it('is the logical screen of a GIF without frames', () => {
    const bytes = gif([5, 6], [0, 0, 20_000, 20_000]);
    bytes[19] = 0x3b; // the trailer where the descriptor was
    expect(gifScreen(bytes)).toEqual({
      width: 5,
      height: 6,
      logical: { width: 5, height: 6 },
      cutShort: false,
    });
  });

  it('knows nothing of other or cut-short files', () => {
    expect(gifScreen(new TextEncoder().encode('GIF89a'))).toBeUndefined();
    expect(gifScreen(new TextEncoder().encode('not a GIF file'))).toBeUndefined();
  });
});
