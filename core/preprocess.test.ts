import { describe, expect, it } from 'vitest';
import type { ModelSpec } from './modelSpec';
import { preprocessBatch, subjectBox, uniformMarginBox } from './preprocess';
import type { RgbaImage } from './rgbaImage';
import { sha256Hex } from './sha256';

type Input = ModelSpec['input'];

/** One image as a model input: 3×H×W (NCHW) or H×W×3 (NHWC) floats. */
function preprocess(image: RgbaImage, input: Input): Float32Array {
  return preprocessBatch([image], input);
}

function spec(over: Partial<Input> = {}): Input {
  return {
    name: 'input',
    layout: 'NCHW',
    width: 4,
    height: 4,
    fit: 'stretch',
    cropFraction: 1,
    resize: 'bilinear-antialias',
    scale: 1,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    ...over,
  };
}

function image(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return { width, height, data } satisfies RgbaImage;
}

/** Channel c of the NCHW output at (x, y). */
function at(out: Float32Array, s: Input, c: number, x: number, y: number): number {
  return out[c * s.width * s.height + y * s.width + x];
}

// Independent reference: the triangle filter written as a dense sum over every source pixel.
function referenceAxisWeights(inSize: number, outSize: number, in0: number, in1: number): number[][] {
  const scale = (in1 - in0) / outSize;
  const fs = Math.max(scale, 1);
  return Array.from({ length: outSize }, (_, o) => {
    const center = in0 + (o + 0.5) * scale;
    const w = Array.from({ length: inSize }, (_, i) => Math.max(0, 1 - Math.abs((i + 0.5 - center) / fs)));
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / total);
  });
}

describe('preprocess', () => {
  it('keeps pixels unchanged when the size already matches', () => {
    const img = image(4, 4, (x, y) => [x * 10, y * 20, x + y, 255]);
    const s = spec();
    const out = preprocess(img, s);
    expect(out.length).toBe(3 * 16);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        expect(at(out, s, 0, x, y)).toBe(x * 10);
        expect(at(out, s, 1, x, y)).toBe(y * 20);
        expect(at(out, s, 2, x, y)).toBe(x + y);
      }
  });

  it('composites alpha over white', () => {
    const s = spec({ width: 2, height: 2 });
    const clear = preprocess(
      image(2, 2, () => [0, 0, 0, 0]),
      s,
    );
    expect(Array.from(clear)).toEqual(new Array(12).fill(255));
    const half = preprocess(
      image(2, 2, () => [0, 100, 255, 51]),
      s,
    );
    // 20% opaque: v = c*0.2 + 255*0.8
    expect(at(half, s, 0, 0, 0)).toBeCloseTo(204, 4);
    expect(at(half, s, 1, 1, 1)).toBeCloseTo(224, 4);
    expect(at(half, s, 2, 1, 0)).toBeCloseTo(255, 4);
  });

  it('applies (v*scale - mean)/std per channel', () => {
    const s = spec({ width: 1, height: 1, scale: 1 / 255, mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] });
    const out = preprocess(
      image(1, 1, () => [255, 0, 51, 255]),
      s,
    );
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBeCloseTo(-1, 6);
    expect(out[2]).toBeCloseTo(0.1, 6);
  });

  it('downscales 4→2 with the antialiasing triangle filter (support scales with the factor)', () => {
    const s = spec({ width: 2, height: 1 });
    const out = preprocess(
      image(4, 1, (x) => [[0, 100, 200, 40][x], 0, 0, 255]),
      s,
    );
    // Output 0 is centred at 1.0 with support 2: taps x=0,1,2 weigh 0.75, 0.75, 0.25.
    expect(at(out, s, 0, 0, 0)).toBeCloseTo((0 * 0.75 + 100 * 0.75 + 200 * 0.25) / 1.75, 4);
    expect(at(out, s, 0, 1, 0)).toBeCloseTo((100 * 0.25 + 200 * 0.75 + 40 * 0.75) / 1.75, 4);
  });

  it('matches a dense reference implementation for down- and upscaling', () => {
    const src = image(37, 23, (x, y) => [(x * 7 + y * 3) % 256, (x * y) % 256, (255 - x * 5) & 255, 255]);
    for (const [W, H] of [
      [10, 6],
      [64, 50],
      [37, 9],
    ]) {
      const s = spec({ width: W, height: H });
      const out = preprocess(src, s);
      const wx = referenceAxisWeights(37, W, 0, 37);
      const wy = referenceAxisWeights(23, H, 0, 23);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++)
          for (let c = 0; c < 3; c++) {
            let v = 0;
            for (let sy = 0; sy < 23; sy++)
              for (let sx = 0; sx < 37; sx++) v += wy[y][sy] * wx[x][sx] * src.data[(sy * 37 + sx) * 4 + c];
            expect(at(out, s, c, x, y)).toBeCloseTo(v, 3);
          }
    }
  });

  it('center-crop keeps the centre of the image, scaled so the short side covers the target', () => {
    // 300×100: red | green | blue thirds.
    const src = image(300, 100, (x) =>
      x < 100 ? [255, 0, 0, 255] : x < 200 ? [0, 255, 0, 255] : [0, 0, 255, 255],
    );
    const s = spec({ width: 10, height: 10, fit: 'center-crop' });
    const out = preprocess(src, s);
    for (let y = 0; y < 10; y++)
      for (let x = 1; x < 9; x++) {
        expect(at(out, s, 1, x, y)).toBeCloseTo(255, 3);
        expect(at(out, s, 0, x, y)).toBeCloseTo(0, 3);
      }
    // cropFraction 0.5 zooms in: even the border columns come only from green pixels.
    const zoom = spec({ width: 10, height: 10, fit: 'center-crop', cropFraction: 0.5 });
    const zoomed = preprocess(src, zoom);
    for (let y = 0; y < 10; y++) expect(at(zoomed, zoom, 1, 0, y)).toBeCloseTo(255, 3);
  });

  it('center-crop equals resizing the whole image and cropping its centre', () => {
    const src = image(60, 20, (x, y) => [x * 4, y * 12, (x * y) % 256, 255]);
    const s = spec({ width: 5, height: 5, fit: 'center-crop' });
    const out = preprocess(src, s);
    // The short side 20 → 5 makes the whole image 15×5; its centre 5 columns start at 5.
    const full = spec({ width: 15, height: 5 });
    const whole = preprocess(src, full);
    for (let y = 0; y < 5; y++)
      for (let x = 0; x < 5; x++)
        for (let c = 0; c < 3; c++) expect(at(out, s, c, x, y)).toBeCloseTo(at(whole, full, c, x + 5, y), 3);
  });

  it('letterbox pads with white around the centred image', () => {
    const src = image(20, 10, () => [255, 0, 0, 255]);
    const s = spec({ width: 10, height: 10, fit: 'letterbox' });
    const out = preprocess(src, s);
    for (let y = 0; y < 10; y++) {
      const inside = y >= 2 && y < 7;
      for (let x = 0; x < 10; x++) {
        expect(at(out, s, 0, x, y)).toBeCloseTo(255, 4);
        expect(at(out, s, 1, x, y)).toBeCloseTo(inside ? 0 : 255, 4);
      }
    }
  });

  it('stretch ignores the aspect ratio', () => {
    const src = image(4, 1, (x) => [x * 50, 0, 0, 255]);
    const s = spec({ width: 4, height: 3 });
    const out = preprocess(src, s);
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 4; x++) expect(at(out, s, 0, x, y)).toBeCloseTo(x * 50, 4);
  });

  it('NHWC is the transpose of NCHW', () => {
    const src = image(13, 9, (x, y) => [x * 19, y * 27, (x + y) * 11, 200]);
    const nchw = preprocess(src, spec({ width: 5, height: 3 }));
    const nhwc = preprocess(src, spec({ width: 5, height: 3, layout: 'NHWC' }));
    for (let i = 0; i < 15; i++) for (let c = 0; c < 3; c++) expect(nhwc[i * 3 + c]).toBe(nchw[c * 15 + i]);
  });

  it('stacks a batch in order', () => {
    const a = image(3, 3, () => [10, 20, 30, 255]);
    const b = image(5, 2, () => [40, 50, 60, 255]);
    const s = spec({ width: 2, height: 2 });
    const batch = preprocessBatch([a, b], s);
    expect(batch.length).toBe(24);
    expect(Array.from(batch.subarray(0, 12))).toEqual(Array.from(preprocess(a, s)));
    expect(Array.from(batch.subarray(12))).toEqual(Array.from(preprocess(b, s)));
  });

  it('gives identical results for Uint8Array and Uint8ClampedArray data', () => {
    const a = image(31, 17, (x, y) => [x * 8, y * 15, 77, 128 + x]);
    const b = { ...a, data: new Uint8ClampedArray(a.data) };
    const s = spec({ width: 7, height: 7, fit: 'center-crop', cropFraction: 0.875 });
    expect(Array.from(preprocess(b, s))).toEqual(Array.from(preprocess(a, s)));
  });

  // Cached embeddings and every index built so far depend on these exact floats: a rewrite for speed
  // must reproduce them bit for bit (the digests were taken from the implementation before the fused
  // resample-and-normalise pass).
  it('produces the same float32 bits as before, for every fit and layout', () => {
    let seed = 7;
    const noise = (width: number, height: number): RgbaImage => {
      const data = new Uint8Array(width * height * 4);
      for (let i = 0; i < data.length; i++)
        data[i] = (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24;
      return { width, height, data };
    };
    const images = [noise(37, 23), noise(5, 9), noise(90, 61)];
    const digests: Record<string, string> = {};
    for (const fit of ['center-crop', 'letterbox', 'stretch'] as const)
      for (const layout of ['NCHW', 'NHWC'] as const) {
        const s = spec({ layout, width: 16, height: 12, fit, cropFraction: 0.875, scale: 1 / 255 });
        const out = preprocessBatch(images, {
          ...s,
          mean: [0.485, 0.456, 0.406],
          std: [0.229, 0.224, 0.225],
        });
        digests[`${fit} ${layout}`] = sha256Hex(new Uint8Array(out.buffer)).slice(0, 16);
      }
    expect(digests).toEqual({
      'center-crop NCHW': '9afb7f3e4f073fb8',
      'center-crop NHWC': '2256a06f271a1438',
      'letterbox NCHW': '8d6c268878f7e1d3',
      'letterbox NHWC': 'fafb8a01d1038892',
      'stretch NCHW': '5131aaf290abebba',
      'stretch NHWC': '1c22e006d6f73151',
    });
  });

  describe('frameSubject', () => {
    const frame = { alphaAbove: 16, coverage: 0.5 };
    // An 8×8 drawing (opaque, a pattern) on a transparent canvas, its top-left corner at (left, top).
    const drawing = (x: number, y: number): [number, number, number, number] => [
      x * 30,
      y * 30,
      (x * y * 7) % 256,
      255,
    ];
    const onCanvas = (w: number, h: number, left: number, top: number) =>
      image(w, h, (x, y) =>
        x >= left && x < left + 8 && y >= top && y < top + 8 ? drawing(x - left, y - top) : [9, 9, 9, 0],
      );

    it('finds the box of the pixels above the alpha threshold, none for opaque or empty images', () => {
      expect(subjectBox(onCanvas(40, 30, 5, 11), 16)).toEqual({ x0: 5, y0: 11, x1: 13, y1: 19 });
      // Faint pixels (alpha ≤ threshold) are margin.
      const faint = image(20, 20, (x, y) =>
        x === 2 && y === 3 ? [0, 0, 0, 200] : [0, 0, 0, x < 10 ? 16 : 0],
      );
      expect(subjectBox(faint, 16)).toEqual({ x0: 2, y0: 3, x1: 3, y1: 4 });
      expect(
        subjectBox(
          image(6, 6, () => [1, 2, 3, 255]),
          16,
        ),
      ).toBeUndefined();
      expect(
        subjectBox(
          image(6, 6, () => [1, 2, 3, 0]),
          16,
        ),
      ).toBeUndefined();
    });

    it('sees the same drawing the same way wherever its transparent canvas puts it', () => {
      const s = spec({ width: 16, height: 16, fit: 'center-crop', frameSubject: frame });
      const a = preprocess(onCanvas(64, 64, 20, 20), s);
      // Moved, on a wider canvas, and in a corner: the window follows the subject.
      expect(Array.from(preprocess(onCanvas(96, 48, 50, 9), s))).toEqual(Array.from(a));
      expect(Array.from(preprocess(onCanvas(40, 40, 28, 4), s))).toEqual(Array.from(a));
      // Without framing the model sees the canvas, so the drawing's place and size change its input.
      const plain = spec({ width: 16, height: 16, fit: 'center-crop' });
      expect(Array.from(preprocess(onCanvas(96, 48, 50, 9), plain))).not.toEqual(
        Array.from(preprocess(onCanvas(64, 64, 20, 20), plain)),
      );
    });

    it('grows the window to the subject at `coverage`, never past the centred crop, inside the image', () => {
      const s = spec({ width: 16, height: 16, fit: 'center-crop', frameSubject: frame });
      // The 8 px subject at coverage 0.5 wants a 16 px window: 16 px of source per 16 px of input, so the
      // subject's pixels land unscaled in the centre and transparent margin (white) around them.
      const out = preprocess(onCanvas(64, 64, 20, 20), s);
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) expect(at(out, s, 0, x + 4, y + 4)).toBeCloseTo(drawing(x, y)[0], 3);
      expect(at(out, s, 0, 0, 0)).toBeCloseTo(255, 3);
      // A canvas smaller than that window: the whole canvas, as without framing.
      const small = onCanvas(12, 12, 2, 2);
      const plain = spec({ width: 16, height: 16, fit: 'center-crop' });
      expect(Array.from(preprocess(small, s))).toEqual(Array.from(preprocess(small, plain)));
      // A subject at the edge of a large canvas: the window stays inside, so no pixel is invented.
      const edge = onCanvas(64, 64, 0, 56);
      const atEdge = preprocess(edge, s);
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) expect(at(atEdge, s, 0, x, y + 8)).toBeCloseTo(drawing(x, y)[0], 3);
    });

    it('leaves opaque images, and subjects that reach every edge, as the centred crop has them', () => {
      const s = spec({
        width: 7,
        height: 7,
        fit: 'center-crop',
        frameSubject: { alphaAbove: 16, coverage: 0.97 },
      });
      const plain = spec({ width: 7, height: 7, fit: 'center-crop' });
      const opaque = image(31, 17, (x, y) => [x * 8, y * 15, 77, 255]);
      expect(Array.from(preprocess(opaque, s))).toEqual(Array.from(preprocess(opaque, plain)));
      // Transparent inside, but its frame drawn to every edge.
      const ring = image(20, 20, (x, y) =>
        x === 0 || y === 0 || x === 19 || y === 19 ? [200, 0, 0, 255] : [0, 0, 0, 0],
      );
      expect(Array.from(preprocess(ring, s))).toEqual(Array.from(preprocess(ring, plain)));
      const empty = image(20, 20, () => [0, 0, 0, 0]);
      expect(Array.from(preprocess(empty, s))).toEqual(Array.from(preprocess(empty, plain)));
    });

    describe('uniformMargin', () => {
      const margined = { ...frame, uniformMargin: { tolerance: 24 } };
      // The same drawing flattened onto an opaque canvas of about one colour (JPEG noise within 24 levels).
      const onOpaque = (w: number, h: number, left: number, top: number, noise = 0) =>
        image(w, h, (x, y) =>
          x >= left && x < left + 8 && y >= top && y < top + 8
            ? drawing(x - left, y - top)
            : [250 - ((x * 7 + y * 3) % (noise + 1)), 250, 250 - ((x + y) % (noise + 1)), 255],
        );

      it('finds what differs from the edges’ one colour, none when the edges are not one colour', () => {
        // drawing(0, 0) is black: the drawing's own top-left pixel differs from the margin.
        expect(uniformMarginBox(onOpaque(40, 30, 5, 11, 20), 24)).toEqual({ x0: 5, y0: 11, x1: 13, y1: 19 });
        expect(uniformMarginBox(onOpaque(40, 30, 5, 11, 40), 24)).toBeUndefined();
        // A photograph, a drawing reaching an edge, one colour throughout, a transparent canvas.
        expect(
          uniformMarginBox(
            image(31, 17, (x, y) => [x * 8, y * 15, 77, 255]),
            24,
          ),
        ).toBeUndefined();
        expect(uniformMarginBox(onOpaque(40, 30, 0, 11), 24)).toBeUndefined();
        expect(
          uniformMarginBox(
            image(6, 6, () => [1, 2, 3, 255]),
            24,
          ),
        ).toBeUndefined();
        expect(uniformMarginBox(onCanvas(40, 30, 5, 11), 24)).toBeUndefined();
      });

      it('frames art on an opaque canvas as on a transparent one; views can opt out', () => {
        const s = spec({ width: 16, height: 16, fit: 'center-crop', frameSubject: margined });
        const a = preprocess(onOpaque(64, 64, 20, 20), s);
        expect(Array.from(preprocess(onOpaque(96, 48, 50, 9), s))).toEqual(Array.from(a));
        // On white (250 here) the transparent canvas's framing gives the same window and pixels, but for
        // the margin's colour.
        const transparent = preprocess(onCanvas(64, 64, 20, 20), s);
        for (let y = 0; y < 8; y++)
          for (let x = 0; x < 8; x++)
            expect(at(a, s, 1, x + 4, y + 4)).toBeCloseTo(at(transparent, s, 1, x + 4, y + 4), 3);
        // Without uniformMargin, or with the option off, the opaque canvas is cropped as it is.
        const alphaOnly = spec({ width: 16, height: 16, fit: 'center-crop', frameSubject: frame });
        const img = onOpaque(96, 48, 50, 9);
        expect(Array.from(preprocessBatch([img], s, { uniformMargins: false }))).toEqual(
          Array.from(preprocess(img, alphaOnly)),
        );
        expect(Array.from(preprocess(img, alphaOnly))).not.toEqual(Array.from(a));
      });

      it('is refused out of range', () => {
        const img = image(4, 4, () => [0, 0, 0, 255]);
        const s = spec({ fit: 'center-crop', frameSubject: { ...frame, uniformMargin: { tolerance: 255 } } });
        expect(() => preprocess(img, s)).toThrow(/uniformMargin.tolerance in 0..254/);
      });
    });

    it('is refused with other fits and out-of-range values', () => {
      const img = image(4, 4, () => [0, 0, 0, 255]);
      expect(() => preprocess(img, spec({ fit: 'letterbox', frameSubject: frame }))).toThrow(
        /frameSubject needs fit 'center-crop'/,
      );
      expect(() =>
        preprocess(img, spec({ fit: 'center-crop', frameSubject: { alphaAbove: 16, coverage: 1.5 } })),
      ).toThrow(/coverage in \(0, 1\]/);
    });
  });

  it('rejects bad images and specs with clear errors', () => {
    const s = spec();
    expect(() => preprocess({ width: 2, height: 2, data: new Uint8Array(15) }, s)).toThrow(/expected 16/);
    expect(() => preprocess({ width: 0, height: 2, data: new Uint8Array(0) }, s)).toThrow(
      /positive integers/,
    );
    expect(() => preprocessBatch([], s)).toThrow(/no images/);
    expect(() =>
      preprocess(
        image(2, 2, () => [0, 0, 0, 255]),
        spec({ cropFraction: 0 }),
      ),
    ).toThrow(/cropFraction/);
  });
});
